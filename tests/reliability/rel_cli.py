"""``fitbit-sync`` as the reliability tier runs it: the real CLI entry point, with every logger
(ours, httpx, httpcore, filelock, ...) at DEBUG on stderr, so the secret scan sees every line any
library could log. Usage: ``python rel_cli.py backfill --start ... --end ...``.

``REL_CLI_SRC=/path/to/src`` runs another build of fitbit-sync in the subprocesses only (the
test process keeps its own): how a check is shown to fail on the code before a fix."""

from __future__ import annotations

import logging
import os
import sys

if __name__ == "__main__":
    if os.environ.get("REL_CLI_SRC"):
        sys.path.insert(0, os.environ["REL_CLI_SRC"])
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from fitbit_sync.cli import main

    sys.exit(main(sys.argv[1:]))
