"""The soak run: its sandbox and pair, the workload, and what every cycle shares (running a playbook with its
control node memory measured and its logs kept when it fails, the checks after a cycle, the memory samples).
The cycles themselves are in planned.py and forced.py; `run_soak` is the whole run and writes soak.json."""
import datetime
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.playbook_runner import run_playbook
from sandbox.layout import REPO_ROOT

from . import memory
from .forced import forced_cycle
from .planned import planned_cycle
from .sandbox_pair import own_sandbox, sandbox_cli, soak_inventory, status
from .site_state import PairState, primaries
from .workload import FollowingWorkload, acknowledged, counts

OUTPUT = REPO_ROOT / "build" / "soak"
RATE = 25.0  # writes per second
# bounded waits: a transition that cannot finish fails in minutes, not after the roles' default 10
EXTRA_VARS = {"dr_failover_wait_timeout": 120}
PLAYBOOK_TIMEOUT = 600
SWITCH_TASK = "Read both sites, then refuse or carry out the transition, mode %s"


class Soak:
    def __init__(self, output, runtime_dir, rate=RATE):
        self.output = Path(output)
        self.runtime_dir = runtime_dir
        self.runs_dir = self.output / "runs"
        self.sandbox_status = status(runtime_dir)
        self.inventory, self.pair = soak_inventory(self.sandbox_status, self.output / "inventory.yml")
        self.state = PairState(self.sandbox_status, self.pair)
        self.rate = rate
        self.workload = None
        self.check_mark = 0  # the workload's writes before it were checked on the primary
        self.term_mark = 0  # the current primary's term began there (what a forced failover may lose is after it)
        self.misbehaviours = []
        self.memory_samples = {"planned": [], "forced": []}

    # -- the sandbox --------------------------------------------------------------------------------------------
    def sandbox(self, *args):
        return sandbox_cli(self.runtime_dir, *args)

    def processes(self):
        return memory.sandbox_processes(status(self.runtime_dir))

    # -- playbooks ----------------------------------------------------------------------------------------------
    def playbook(self, name, label, **extra_vars):
        """Run arcdata.sqlmi.<name>; its workdir (output, task results) is kept under runs/<label> if it fails."""
        workdir = self.runs_dir / label
        shutil.rmtree(str(workdir), ignore_errors=True)
        workdir.mkdir(parents=True)
        previous, tempfile.tempdir = tempfile.tempdir, str(workdir)  # run_playbook makes its workdir there
        try:
            run = run_playbook("arcdata.sqlmi.%s" % name, self.inventory, extra_vars=dict(EXTRA_VARS, **extra_vars),
                               timeout=PLAYBOOK_TIMEOUT)
        finally:
            tempfile.tempdir = previous
        if run.rc == 0:
            shutil.rmtree(str(workdir), ignore_errors=True)
        return run

    @staticmethod
    def transition(run, mode):
        """The arc_failover result of the run (None when the task did not run to a result); the task runs on one
        host of the pair and is skipped on the other."""
        found = [e["result"] for e in run.results(SWITCH_TASK % mode) if e["outcome"] != "skipped"]
        return found[0] if found else None

    def note(self, phase, cycle, step, what, logs=None, fatal=False):
        """A misbehaviour, precisely: which cycle, which step, what happened, where the logs are. `fatal`: the pair
        is left in a state the next cycles cannot start from, so the soak stops."""
        self.misbehaviours.append({"phase": phase, "cycle": cycle, "step": step, "what": what,
                                   "logs": str(logs) if logs else None, "fatal": fatal})

    def logs_of(self, label):
        path = self.runs_dir / label
        return path if path.exists() else None

    # -- checks -------------------------------------------------------------------------------------------------
    def pair_state(self):
        """Roles as each DAG resource reports them and as each engine has them, and the DR lock's holders."""
        roles = self.state.roles()
        engines = dict((site, self.state.engine(site)) for site in self.state.sites())
        return {"roles": roles, "primaries": primaries(roles),
                "engine_roles": dict((s, (e or {}).get("role")) for s, e in engines.items()),
                "lock_holders": self.state.lock_holders(),
                # what the sandbox's memory follows: the engines hold their whole log, the API servers their
                # latest changes (a bounded window)
                "committed_lsn": dict((s, (e or {}).get("committed_lsn")) for s, e in engines.items()),
                "api_resource_version": self.state.resource_versions()}, engines

    def unreadable(self, site, writes):
        """The acknowledged writes (lsn, key) that the instance of `site` does not return with that LSN."""
        return self.state.unreadable(site, writes)

    def window(self):
        """The workload's attempts since the last check, and the mark that ends them."""
        end = self.workload.outcomes.mark()
        return self.workload.outcomes.since(self.check_mark, end), end

    def sample_memory(self, phase):
        found = memory.sample(self.processes())
        self.memory_samples[phase].append(found)
        return found

    # -- the run ------------------------------------------------------------------------------------------------
    def set_up(self):
        run = self.playbook("dr_setup", "setup")
        if run.rc != 0:
            raise RuntimeError("dr_setup failed; its output is in %s" % self.logs_of("setup"))
        endpoints = dict((site, self.state.endpoint(site)) for site in self.state.sites())
        primary = primaries(self.state.roles())[0]
        self.workload = FollowingWorkload(endpoints, primary, self.rate).start()
        return run.seconds


def run_soak(cycles, forced, output=OUTPUT, rate=RATE, link_cut_seconds=1.0):
    """`cycles` planned failovers, then `forced` forced failover and rejoin cycles; returns the results (also
    written to <output>/soak.json)."""
    output = Path(output).resolve()  # playbooks run in directories of their own
    output.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    results = {"started": _now(), "options": {"planned_cycles": cycles, "forced_cycles": forced, "rate": rate,
                                              "link_cut_seconds": link_cut_seconds},
               "planned": [], "forced": []}
    with own_sandbox(output / "sandbox") as runtime_dir:
        soak = Soak(output, runtime_dir, rate)
        results["setup_seconds"] = round(soak.set_up(), 1)
        try:
            _planned_phase(soak, cycles, results)
            if not _stopped(soak):
                _forced_phase(soak, forced, results, link_cut_seconds)
        finally:
            soak.workload.stop()
        results["workload"] = counts(soak.workload.outcomes.since(0))
    results.update(finished=_now(), seconds=round(time.monotonic() - started, 1),
                   misbehaviours=soak.misbehaviours, memory=_memory(soak, results))
    (output / "soak.json").write_text(json.dumps(results, indent=1))
    return results


def _planned_phase(soak, cycles, results):
    for number in range(1, cycles + 1):
        results["planned"].append(planned_cycle(soak, number))
        _progress("planned", number, cycles, soak)
        if _stopped(soak):
            return
    results["planned_all_writes"] = _all_acknowledged_present(soak)


def _forced_phase(soak, forced, results, link_cut_seconds):
    for number in range(1, forced + 1):
        # every other cycle cuts the link for a moment before the kill: the old primary then commits writes alone,
        # which the rejoin must discard (and count); the other cycles lose only what was in flight
        cut = link_cut_seconds if number % 2 == 1 else 0.0
        results["forced"].append(forced_cycle(soak, number, cut))
        _progress("forced", number, forced, soak)
        if _stopped(soak):
            return


def _progress(phase, number, total, soak):
    print("soak: %s cycle %d of %d done, %d misbehaviours so far" % (phase, number, total, len(soak.misbehaviours)),
          file=sys.stderr, flush=True)


def _all_acknowledged_present(soak):
    """After the planned phase: every write acknowledged since the soak began, on the primary's log."""
    site = primaries(soak.state.roles())[0]
    writes = acknowledged(soak.workload.outcomes.since(0))
    present = set((r["lsn"], r["key"]) for r in soak.state.records(site))
    missing = [w for w in writes if w not in present]
    if missing:
        soak.note("planned", None, "end of phase", "%d acknowledged writes missing from the primary's log (%s), "
                  "e.g. %s" % (len(missing), site, missing[:5]))
    return {"site": site, "acknowledged": len(writes), "missing": len(missing)}


def _stopped(soak):
    """A cycle that left the pair without exactly one primary ends the soak: nothing after it would mean much."""
    return any(m.get("fatal") for m in soak.misbehaviours)


def _memory(soak, results):
    found = {}
    for phase in ("planned", "forced"):
        samples = soak.memory_samples[phase]
        found[phase] = {
            "sandbox": memory.compare([dict((k, v["pss_mb"]) for k, v in s.items()) for s in samples]),
            "restarts": dict((kind, memory.restarts(samples, kind)) for kind in (samples[0] if samples else {})),
            "control_node": memory.compare([cycle["control_node_peak_pss_mb"] for cycle in results[phase]]),
            "control_node_rss": memory.compare([cycle["control_node_peak_rss_mb"] for cycle in results[phase]])}
    return found


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
