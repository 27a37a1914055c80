"""A flapping mirroring link: `python -m sandbox flap` starts this process, which cuts the link between the sites
and heals it again, over and over (period, time down, for how long), as an unstable WAN or a flapping VPN tunnel
does. It runs in the sandbox, not in the caller: a test or playbook runs meanwhile. `heal` (or `partition`) stops
it; at its end the link is left healed. Each cut and heal is noted in both sites' audit logs.

`python -m sandbox.flapper --site-dir RUNTIME_DIR`: the flag has the components' name so that the supervisor
starts, recognises and stops this process like theirs; the schedule is in RUNTIME_DIR/flap.json."""
import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

from .fault_notes import site_note
from .layout import SITE_NAMES, site_files

COMPONENT = "flapper"
SCHEDULE_FILE = "flap.json"
PARTITION_FLAG = "partitioned"


class FlapperFiles:
    """The flapper's files in the runtime directory, with the pid/ready/log interface of a site's files."""

    def __init__(self, runtime_dir):
        self.dir = Path(runtime_dir)
        self.schedule = self.dir / SCHEDULE_FILE
        self.flag = self.dir / PARTITION_FLAG

    def ready_file(self, component=COMPONENT):
        return self.dir / f"{component}.ready"

    def pid_file(self, component=COMPONENT):
        return self.dir / f"{component}.pid"

    def log_file(self, component=COMPONENT):
        return self.dir / f"{component}.log"


def check_schedule(period, down, duration):
    """The schedule as the flapper reads it, or ValueError saying what is wrong."""
    if not 0 < down < period:
        raise ValueError(f"--down must be more than 0 and less than --period ({period:g} s), got {down:g}")
    if duration is not None and duration <= 0:
        raise ValueError(f"--for must be more than 0 seconds, got {duration:g}")
    return {"period": period, "down": down, "for": duration}


def note_both(runtime_dir, fault):
    for name in SITE_NAMES:
        files = site_files(runtime_dir, name)
        if files.dir.exists():
            site_note(files, fault)


def _set_link(files, up, schedule):
    if up:
        files.flag.unlink(missing_ok=True)
    else:
        files.flag.touch()
    note_both(files.dir, {"link": "healed" if up else "cut", "flapping": schedule})


def run(files, schedule, clock=time.monotonic, sleep=time.sleep):
    """Cut and heal until the schedule's end (forever without one); the link is left healed."""
    ends = clock() + schedule["for"] if schedule["for"] else None
    try:
        while ends is None or clock() < ends:
            started = clock()
            _set_link(files, False, schedule)
            sleep(_until(schedule["down"], started, ends, clock))
            _set_link(files, True, schedule)
            sleep(_until(schedule["period"], started, ends, clock))
    finally:
        files.flag.unlink(missing_ok=True)


def _until(offset, started, ends, clock):
    target = started + offset if ends is None else min(started + offset, ends)
    return max(0.0, target - clock())


def _stop(signum, frame):  # pylint: disable=unused-argument
    sys.exit(0)  # run()'s finally heals the link


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--site-dir", required=True, help="the sandbox's runtime directory")
    files = FlapperFiles(parser.parse_args().site_dir)
    signal.signal(signal.SIGTERM, _stop)
    schedule = json.loads(files.schedule.read_text())
    files.ready_file().write_text(str(os.getpid()))
    run(files, schedule)
    files.pid_file().unlink(missing_ok=True)


if __name__ == "__main__":
    main()
