"""python -m bench [--quick] [--only NAME ...] [--output DIR]: run the measurements and write the results."""
import argparse
import datetime
import sys
import time
import traceback
from pathlib import Path

from bench import measurements, report
from bench.measurement import Result

RESULTS = Path(__file__).resolve().parent / "results"


def options():
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="one repetition and the smallest sizes: a smoke run that proves the bench still works")
    parser.add_argument("--repetitions", type=int, default=5, help="runs per figure (default 5; --quick: 1)")
    parser.add_argument("--only", action="append", choices=measurements.NAMES, help="run only these measurements")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where latest.json and latest.md go")
    parsed = parser.parse_args()
    if parsed.quick:
        parsed.repetitions = 1
    return parsed


def main():
    args = options()
    results, failed = [], []
    started = time.monotonic()
    for name in args.only or measurements.NAMES:
        module = measurements.load(name)
        if args.quick and not args.only and not getattr(module, "IN_SMOKE_RUN", True):
            print("bench: %s: not in the smoke run (--only %s runs it)" % (module.TITLE, name), flush=True)
            continue
        print("bench: %s ..." % module.TITLE, flush=True)
        begun = time.monotonic()
        try:
            result = module.run(args)
        except Exception:  # a broken measurement is reported, and the others still run
            failed.append(name)
            result = Result(name, module.TITLE, notes=["failed: %s" % traceback.format_exc().splitlines()[-1]])
            traceback.print_exc()
        print("bench: %s done in %.1f s" % (name, time.monotonic() - begun), flush=True)
        results.append(result)
    document = report.write(results, args.output, {
        "finished": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "repetitions": args.repetitions, "quick": args.quick, "seconds": round(time.monotonic() - started, 1)})
    print(report.markdown(document))
    print("bench: wrote %s (%.0f s)" % (args.output / "latest.json", time.monotonic() - started))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
