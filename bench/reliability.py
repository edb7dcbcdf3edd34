"""The reliability tier with large counts: many more SIGKILLs, fault rates, fuzzed inputs and
concurrent rounds than CI runs, and the table of what was tried, what survived and what was lost.

    python bench/reliability.py                      # the counts of docs/reliability.md
    python bench/reliability.py --kills 100 --examples 1000 --markdown bench/out/reliability.md
    python bench/reliability.py --only catchup --catchup-kills 100   # one part of the tier

It runs ``pytest -m reliability tests/reliability`` with ``FITBIT_SYNC_RELIABILITY_*`` raised
(see ``tests/reliability/rel_support.py``), reads the ledger the tier writes and prints it as a
Markdown table, with the run time and the exact command. Exit status: pytest's.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "reliability"))

from rel_ledger import markdown_table, rows_from_json  # noqa: E402

#: the tier's parts, by test file: tests/reliability/test_rel_<part>.py
PARTS = tuple(sorted(p.stem.removeprefix("test_rel_") for p in (ROOT / "tests" / "reliability").glob("test_rel_*.py")))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kills", type=int, default=30, help="random SIGKILLs per store (CI: 4)")
    p.add_argument("--targeted", type=int, default=5, help="rounds of kills at each chosen moment (CI: 1)")
    p.add_argument("--fault-rates", default="0.05,0.1,0.2,0.3,0.5", help="fault rates (CI: 0.1,0.3)")
    p.add_argument("--examples", type=int, default=300, help="hypothesis examples per fuzzed input (CI: 20)")
    p.add_argument("--rounds", type=int, default=5, help="runs per fault scenario, concurrency and disk rounds (CI: 1)")
    p.add_argument("--long-outages", type=int, default=2, help="InfluxDB outages longer than the writer's retries "
                   "(20 s each; CI: 0)")
    p.add_argument("--catchup-kills", type=int, default=50, help="SIGKILLs/SIGTERMs of sync and daemon catch-ups "
                   "(CI: 3)")
    p.add_argument("--hostile-kinds", type=int, default=6, help="hostile bodies per hostile run, of 6 (CI: 3)")
    p.add_argument("--import-kills", type=int, default=30, help="random SIGKILLs of fitbit-sync import (CI: 2)")
    p.add_argument("--only", default="", help=f"comma-separated parts to run ({', '.join(PARTS)}; default: all)")
    p.add_argument("--seed", default="", help="seed of every random choice (default: a new one, printed)")
    p.add_argument("--report", type=Path, default=ROOT / "bench" / "out" / "reliability.json")
    p.add_argument("--markdown", type=Path, help="also write the table (Markdown) to this file")
    p.add_argument("pytest_args", nargs="*", help="extra pytest arguments (e.g. -k crash)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    parts = [part.strip().replace("-", "_") for part in args.only.split(",") if part.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        print(f"unknown part(s) {', '.join(unknown)}; known: {', '.join(PARTS)}")
        return 2
    seed = args.seed or f"bench-{int(time.time())}"
    args.report.parent.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "FITBIT_SYNC_RELIABILITY_KILLS": str(args.kills),
        "FITBIT_SYNC_RELIABILITY_TARGETED": str(args.targeted),
        "FITBIT_SYNC_RELIABILITY_FAULT_RATES": args.fault_rates,
        "FITBIT_SYNC_RELIABILITY_EXAMPLES": str(args.examples),
        "FITBIT_SYNC_RELIABILITY_ROUNDS": str(args.rounds),
        "FITBIT_SYNC_RELIABILITY_LONG_OUTAGES": str(args.long_outages),
        "FITBIT_SYNC_RELIABILITY_CATCHUP_KILLS": str(args.catchup_kills),
        "FITBIT_SYNC_RELIABILITY_HOSTILE_KINDS": str(args.hostile_kinds),
        "FITBIT_SYNC_RELIABILITY_IMPORT_KILLS": str(args.import_kills),
        "FITBIT_SYNC_RELIABILITY_SEED": seed,
        "FITBIT_SYNC_RELIABILITY_REPORT": str(args.report),
    }
    targets = [f"tests/reliability/test_rel_{part}.py" for part in parts] or ["tests/reliability"]
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-m", "reliability", "-q",
               "--timeout", "7200", *targets, *args.pytest_args]
    shown = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items() if k.startswith("FITBIT_SYNC_RELIABILITY_")
                     and k != "FITBIT_SYNC_RELIABILITY_REPORT")
    print(f"$ {shown} python {' '.join(command[1:])}", flush=True)
    if args.report.exists():
        args.report.unlink()
    started = time.monotonic()
    rc = subprocess.run(command, cwd=ROOT, env=env).returncode
    seconds = time.monotonic() - started
    if not args.report.exists():
        print(f"no report written (pytest exit {rc})")
        return rc or 1
    data = json.loads(args.report.read_text())
    rows = rows_from_json(data["rows"])
    table = markdown_table(rows)
    bad = [r for r in rows if not r.ok]
    summary = (f"{len(rows)} scenarios, {sum(r.tried for r in rows):,} tried, "
               f"{sum(r.survived for r in rows):,} survived, {len(bad)} with losses or failures; "
               f"pytest exit {rc} in {seconds / 60:.1f} min (seed {seed!r})")
    print()
    print(table)
    print()
    print(summary)
    if args.markdown:
        rerun = (f"python bench/reliability.py --kills {args.kills} --targeted {args.targeted} "
                 f"--fault-rates {args.fault_rates} --examples {args.examples} --rounds {args.rounds} "
                 f"--long-outages {args.long_outages} --catchup-kills {args.catchup_kills}"
                 f"{' --only ' + ','.join(parts) if parts else ''} --seed {seed}")
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(f"{table}\n\n{summary}\n\nCommand: `{rerun}`\n")
    return rc


if __name__ == "__main__":
    sys.exit(main())
