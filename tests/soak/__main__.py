"""python -m tests.soak [--cycles N] [--forced M] [--output DIR]: the failover soak (`make soak`); writes
<output>/soak.json and <output>/soak.md, and exits 1 when a check failed in some cycle."""
import argparse
import sys
from pathlib import Path

from .report import soak_section
from .soak import OUTPUT, RATE, run_soak


def options(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.soak", description=__doc__)
    parser.add_argument("--cycles", type=int, default=100, help="planned failovers (default %(default)s)")
    parser.add_argument("--forced", type=int, default=20,
                        help="forced failover and rejoin cycles after them (default %(default)s)")
    parser.add_argument("--rate", type=float, default=RATE, help="workload writes per second (default %(default)s)")
    parser.add_argument("--link-cut-seconds", type=float, default=1.0,
                        help="odd forced cycles: how long the link is cut before the kill (default %(default)s)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="results, logs and the sandbox (default "
                        "build/soak)")
    return parser.parse_args(argv)


def main(argv=None):
    args = options(argv)
    results = run_soak(args.cycles, args.forced, args.output, args.rate, args.link_cut_seconds)
    section = soak_section(results)
    (args.output / "soak.md").write_text(section)
    print(section)
    return 1 if results["misbehaviours"] else 0


if __name__ == "__main__":
    sys.exit(main())
