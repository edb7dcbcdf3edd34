"""``fitbit-sync`` as the reliability tier runs it: the real CLI entry point, with every logger
(ours, httpx, httpcore, filelock, ...) at DEBUG on stderr, so the secret scan sees every line any
library could log. Usage: ``python rel_cli.py backfill --start ... --end ...``."""

from __future__ import annotations

import logging
import sys

if __name__ == "__main__":
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from fitbit_sync.cli import main

    sys.exit(main(sys.argv[1:]))
