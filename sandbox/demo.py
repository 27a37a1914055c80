"""`make demo`: the whole DR drill on a fresh two-site sandbox, with the collection's playbooks.

dr_setup; a workload writing to the primary during a planned failover, and a check that every
acknowledged write is on the new primary; failback; a forced failover with the primary site
killed mid-workload, and the count of lost writes; the old site coming back as a second primary,
seen by dr_status; dr_rejoin; a final dr_status. It ends with a summary table and stops the
sandbox (a sandbox that was already running is reused and left running).

`--mode direct` runs the same drill on a sandbox in direct connection mode: the inventory's hosts carry the
Azure variables, and the playbooks manage the pair through the sandbox's Azure Resource Manager.
"""
import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from .control import Sandbox
from .layout import REPO_ROOT, default_api_port, default_runtime_dir
from .arm.deployment import DirectMode
from .sqlclient import SqlClient, endpoint_of
from .supervisor import SandboxError
from .workload import Workload

COLLECTIONS = REPO_ROOT / "build"  # `make demo` copies the collection there first
REPORTS = REPO_ROOT / "dr-reports"
PRIMARY_MI, SECONDARY_MI, DAG = "sqlprimary", "sqlsecondary", "dagtest"
# what the sites' start and the summary say of each connection mode
MODES = {"indirect": "indirect mode: the playbooks talk to each site's Kubernetes API",
         "direct": "direct mode: the playbooks manage the pair through Azure Resource Manager"}


def say(text):
    print(f"\n==> {text}", flush=True)


class Drill:
    def __init__(self, sandbox, report, mode="indirect"):
        self.sandbox = sandbox
        self.inventory = report["inventory"]
        self.mode = mode
        self.summary = []  # (step, result, seconds, writes lost)

    # -- tools ------------------------------------------------------------------------------------
    def playbook(self, name, *extra):
        """Run arcdata.sqlmi.<name> against the sandbox's inventory; returns (exit code, seconds)."""
        command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", self.inventory,
                   f"arcdata.sqlmi.{name}", *extra]
        print(f"$ ansible-playbook -i {os.path.relpath(self.inventory)} arcdata.sqlmi.{name} {' '.join(extra)}",
              flush=True)
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_DISPLAY_SKIPPED_HOSTS="0",
                   ANSIBLE_DISPLAY_OK_HOSTS="0", ANSIBLE_NOCOLOR="1", ARC_DR_REPORT_DIR=str(REPORTS))
        started = time.monotonic()
        result = subprocess.run(command, env=env, cwd=REPO_ROOT, check=False)
        return result.returncode, time.monotonic() - started

    def endpoint(self, site, instance):
        return endpoint_of(self.sandbox.files[site], self.sandbox.sites()[site], instance)

    def stats(self, site, instance):
        with SqlClient(self.endpoint(site, instance)) as sql:
            return sql.stats()

    def resynchronized(self, site, instance, timeout=30):
        """The engine's statistics once it is linked and synchronized again (a controller that reports no link
        lets dr_rejoin end before the discard and the catch-up are over), or as they are after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            stats = self.stats(site, instance)
            linked = (stats.get("link") or {}).get("connected")
            settled = linked and stats["role"] == "SECONDARY" and stats["synchronization_health"] == "HEALTHY"
            if settled or time.monotonic() > deadline:
                return stats
            time.sleep(0.2)

    def missing(self, workload, site, instance):
        """The writes `workload` was acknowledged that are not on `instance`."""
        with SqlClient(self.endpoint(site, instance)) as sql:
            present = {(r["lsn"], r["key"]) for r in sql.records()}
        return [write for write in workload.acknowledged if write not in present]

    def record(self, step, result, seconds, lost="-"):
        self.summary.append((step, result, f"{seconds:.1f}", str(lost)))

    def require(self, code, what):
        if code != 0:
            raise SandboxError(f"{what} failed (exit code {code}); see its output above")

    # -- the drill --------------------------------------------------------------------------------
    def setup(self):
        say("Set up DR: both instances (the DR one with the DR licence), certificates swapped, the DAG")
        code, seconds = self.playbook("dr_setup")
        self.require(code, "dr_setup")
        self.record("dr_setup", "pair set up, Primary/Secondary, connected", seconds)

    def planned_failover(self):
        say("Planned failover while a workload writes to the primary")
        workload = Workload(self.endpoint("primary", PRIMARY_MI), rate=100, prefix="planned").start()
        time.sleep(1.5)
        code, seconds = self.playbook("failover_planned")
        time.sleep(0.5)
        workload.stop()
        self.require(code, "failover_planned")
        missing = self.missing(workload, "secondary", SECONDARY_MI)
        print(f"{len(workload.acknowledged)} writes acknowledged, {len(workload.refused)} refused while the primary "
              f"handed over; missing on the new primary {SECONDARY_MI}: {len(missing)}")
        self.record("failover_planned under load", f"{SECONDARY_MI} is primary", seconds, len(missing))
        return workload

    def failback(self, workload):
        say("Failback: the primary role goes home, again without loss")
        code, seconds = self.playbook("failback")
        self.require(code, "failback")
        missing = self.missing(workload, "primary", PRIMARY_MI)
        print(f"writes of the planned failover missing on {PRIMARY_MI}: {len(missing)}")
        self.record("failback", f"{PRIMARY_MI} is primary", seconds, len(missing))

    def forced_failover(self):
        say("Disaster: the primary site dies in the middle of a workload; forced failover to the DR site")
        workload = Workload(self.endpoint("primary", PRIMARY_MI), rate=150, prefix="forced").start()
        time.sleep(1.5)
        print("$ python -m sandbox kill --site primary", flush=True)
        self.sandbox.kill_site("primary")
        workload.stop()
        code, seconds = self.playbook("failover_forced", "-e", f"dr_failover_confirm={DAG}")
        self.require(code, "failover_forced")
        lost = self.missing(workload, "secondary", SECONDARY_MI)
        stats = self.stats("secondary", SECONDARY_MI)
        print(f"{len(workload.acknowledged)} writes acknowledged before the site died; {len(lost)} of them are not on "
              f"{SECONDARY_MI} (promoted at LSN {stats['promoted_at_lsn']}; it knew of at least "
              f"{stats['lost_at_promotion_at_least']} it never received)")
        self.record("failover_forced, primary site killed", f"{SECONDARY_MI} is primary", seconds, len(lost))

    def old_primary_returns(self):
        say("The primary site comes back: its instance still believes it is primary")
        print("$ python -m sandbox start --site primary", flush=True)
        self.sandbox.start_site("primary")
        time.sleep(2)
        code, seconds = self.playbook("dr_status")
        if code == 0:
            raise SandboxError("dr_status did not notice the second primary")
        print("dr_status fails, as it must: two primaries (split brain)")
        self.record("dr_status after the old site returns", "two primaries detected", seconds)

    def rejoin(self):
        say("Rejoin: the handover record names the DR site; the old primary is demoted and resynchronised")
        code, seconds = self.playbook("dr_rejoin")
        self.require(code, "dr_rejoin")
        stats = self.resynchronized("primary", PRIMARY_MI)
        print(f"{PRIMARY_MI} rejoined as {stats['role']}; it discarded {stats['last_discarded']} divergent "
              "transactions")
        self.record("dr_rejoin", f"{PRIMARY_MI} secondary again", seconds, stats["last_discarded"])

    def final_status(self):
        say("Final status report")
        code, seconds = self.playbook("dr_status")
        self.require(code, "dr_status")
        report = REPORTS / "sandbox_pair.md"
        print(report.read_text())
        print(f"reports: {os.path.relpath(report)} and {os.path.relpath(report.with_suffix('.html'))}")
        self.record("dr_status", "exactly one primary, connected", seconds)

    def print_summary(self):
        say(f"Summary ({MODES[self.mode]})")
        header = ("step", "result", "seconds", "writes lost")
        widths = [max(len(row[i]) for row in self.summary + [header]) for i in range(4)]
        for row in [header, tuple("-" * w for w in widths)] + self.summary:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)))

    def run(self):
        self.setup()
        workload = self.planned_failover()
        self.failback(workload)
        self.forced_failover()
        self.old_primary_returns()
        self.rejoin()
        self.final_status()
        self.print_summary()


def arguments(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sandbox.demo", description="the DR drill on the sandbox")
    parser.add_argument("--mode", choices=tuple(MODES), default="indirect",
                        help="connection mode of the sandbox the drill runs on (default: %(default)s)")
    parser.add_argument("--behaviour", help="the controllers' behaviour profile, one for both sites or "
                        "primary=A,secondary=B (see docs/emulator.md); default: the sandbox's default")
    return parser.parse_args(argv)


def main(argv=None):
    options = arguments(argv)
    sandbox = Sandbox(default_runtime_dir())
    direct = DirectMode(sandbox.runtime_dir)
    direct.mode_of(sandbox, options.mode)  # a running sandbox of the other mode is refused before anything starts
    was_running = sandbox.exists() and all(s["running"] for s in sandbox.status()["sites"].values())
    say(f"Starting the sandbox: two emulated Arc sites, each its own Kubernetes API and Arc controller ({MODES[options.mode]})")
    # the DR site receives the log at 100 transactions a second, less than the workload writes at the
    # disaster: an asynchronous DR site lags, and a forced failover shows what that costs
    report = sandbox.up(api_port=default_api_port(), timings={"seeding_rate": 100}, behaviour_text=options.behaviour)
    for name, site in report["sites"].items():
        print(f"  {name:<10} {site['api_url']}  (kubeconfig {os.path.relpath(site['kubeconfig'])})")
    try:
        if options.mode == "direct":
            direct.up(sandbox, default_api_port())
            print(f"  azure      {direct.status()['url']}  (Resource Manager, Entra token endpoint, cloud metadata)")
        Drill(sandbox, report, options.mode).run()
    finally:
        if was_running:
            say("The sandbox was running before the demo: leaving it running")
        else:
            say("Stopping the sandbox")
            if direct.enabled():
                direct.stop()
            sandbox.down()
    say("Demo finished")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SandboxError as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        sys.exit(1)
