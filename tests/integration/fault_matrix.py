"""The fault matrix: the DR playbooks run while the sandbox misbehaves, then again once it is well.

A cell is (playbook, step, fault kind, transport). The kinds are entries of fault_kinds.KINDS; each playbook's
test file lists its steps (Step), and the cells are generated: every RUN kind once per transport (step "every
step"), every STEP kind at every step located in the transport (one cell per site the step names, for kinds that
strike one site), less fault_kinds.INAPPLICABLE.

A step that is a task of its own is struck by the fault_trigger callback as the task starts. A step inside a task
(the failover module carries out a whole transition in one task) is found by its requests: a Strike waits in the
test for the request that comes just before the step (in a site's audit log) and then strikes; the step's own
request is held back by the sandbox meanwhile (a latency rule), so that the fault lands before the step is carried
out. In direct mode the collection's DAG writes go to Resource Manager, which projects them into the site: the
step's request held back is then the projection's (its user agent is the bridge's).

The outcome is "completed", "failed" with a message that must name the site, an object of the pair and the cause,
or, for control-node-killed, "killed". Then the fault is cleared (the site restarted, the link healed) and the pair
converged by running the playbook again (for a forced failover that left two primaries: dr_rejoin; after a kill,
always the same playbook), which must succeed. Then every cell checks what a user would: exactly one primary, both
sides connected and Succeeded, both instances Ready, no duplicate objects of the pair, the DR lock free, the last
handover record naming the primary; for planned failovers and failbacks every write the workload had acknowledged
present on the primary; for teardown, nothing of the pair left. After a kill the re-run must also have finished
the interrupted transition without a second switch, with one handover record for it on each site.

Each cell's row goes to build/reliability/<playbook>-<transport>.json; reliability_report.py turns the rows into
docs/reliability.md at the end of a full run (make fault-matrix).
"""
import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Optional, Tuple

import pytest

from sandbox.layout import REPO_ROOT
from sandbox.sqlclient import SqlClient
from sandbox.workload import Workload
from tests.sandbox.conftest import run_cli

from .conftest import HOSTS, PARTNER, Ansible, delete_dr_pair, own_sandbox
from .dr_playbooks import PlaybookPairs, connected, failed_messages
from .fault_actions import playbook_shim
from .fault_kinds import BY_NAME, DIRECT, KINDS, RUN, TRANSPORTS, Context, inapplicable
from .pair_state import PairState

RESULTS_DIR = REPO_ROOT / "build" / "reliability"
# a run whose lock site died cannot release its DR lock: the next run waits for it to expire, as an operator would
LOCK_SECONDS = 10
COLLECTION_AGENT = "arcdata.sqlmi/"
BRIDGE_AGENT = "arc-arm-bridge/"  # Resource Manager's projection into a site (direct mode)
# short waits: a cell whose fault cannot be ridden out fails in seconds, not in the default 10 minutes
SHORT_WAITS = {"dr_failover_wait_timeout": 20, "dr_dag_wait_timeout": 20, "dr_site_wait_timeout": 40,
               "dr_failover_lock_duration": LOCK_SECONDS}
CAUSES = re.compile(r"unreachable|stopped answering|HTTP \d{3}|timed out|refused|not connected|did not complete|"
                    r"Conflict|failed", re.I)
EVERY_STEP = "every step"
# how long the sandbox holds back a step's request while the strike lands (a kill or a cut takes well under that)
HOLD_MS = 4000
SETTLE_SECONDS = 30
PLAYBOOK_TEARDOWN = "arcdata.sqlmi.dr_teardown"
# the checks whose failure leaves a pair unfit for the next cell
PAIR_HEALTH = ("converged", "exactly one primary", "connected and Succeeded", "instances Ready", "no duplicate objects",
               "the DR lock free")

# `make test` runs a fixed slice of the matrix (SLICE); `make fault-matrix` (ARC_FAULT_MATRIX=full) runs every cell
# and rewrites docs/reliability.md.
FULL_MATRIX = "ARC_FAULT_MATRIX"
COMMON_SLICE = ("indirect-every-step-flaky", "indirect-every-step-conflicts", "indirect-every-step-slow-api",
                "indirect-every-step-watch-cut", "direct-every-step-arm-429", "direct-every-step-lro-stuck-accepted")
# make test's slice: one cell per playbook (the whole run flaky), while the cells below, one of every fault kind
# against every playbook, are checked to fit make test's time; `make fault-matrix` runs every cell
SLICE = dict((name, {"indirect-every-step-flaky"}) for name in (
    "test_fault_matrix_setup.py", "test_fault_matrix_planned.py", "test_fault_matrix_failback.py",
    "test_fault_matrix_forced.py", "test_fault_matrix_rejoin.py", "test_fault_matrix_teardown.py"))
EVERY_KIND_SLICE = {
    "test_fault_matrix_setup.py": set(COMMON_SLICE) | {
        "indirect-every-step-link-flap", "indirect-DAG-api-dies-primary", "indirect-DAG-link-cut",
        "indirect-DAG-controller-restart-primary", "indirect-DAG-control-node-killed", "direct-DAG-token-expiry"},
    "test_fault_matrix_planned.py": set(COMMON_SLICE) | {
        "indirect-every-step-link-flap", "indirect-switch-api-dies-to", "indirect-switch-link-cut",
        "indirect-switch-controller-restart-from", "indirect-switch-control-node-killed",
        "direct-switch-token-expiry"},
    "test_fault_matrix_failback.py": set(COMMON_SLICE) | {
        "indirect-every-step-link-flap", "indirect-record-api-dies-to", "indirect-record-link-cut",
        "indirect-record-controller-restart-to", "indirect-record-control-node-killed", "direct-record-token-expiry"},
    "test_fault_matrix_forced.py": set(COMMON_SLICE) | {
        "indirect-every-step-link-flap", "indirect-promote-api-dies-DR-site", "indirect-promote-link-cut",
        "indirect-promote-controller-restart-DR-site", "indirect-fence-control-node-killed",
        "direct-fence-token-expiry"},
    # no direct-mode rejoin cells (fault_kinds.INAPPLICABLE): Resource Manager's kinds are not run against it
    "test_fault_matrix_rejoin.py": set(COMMON_SLICE[:4]) | {
        "indirect-every-step-link-flap", "indirect-demote-api-dies-demoted", "indirect-demote-link-cut",
        "indirect-demote-controller-restart-demoted", "indirect-demote-control-node-killed"},
    "test_fault_matrix_teardown.py": set(COMMON_SLICE) | {
        "indirect-DAG-api-dies-primary", "indirect-DAG-link-cut", "indirect-DAG-controller-restart-primary",
        "indirect-DAG-control-node-killed", "direct-DAG-token-expiry"},
}


def full_matrix():
    return os.environ.get(FULL_MATRIX) == "full"


def outside_the_slice(item):
    """Whether a collected test is a matrix cell that the slice leaves out (never, for a full run)."""
    wanted = SLICE.get(item.path.name)
    if wanted is None or full_matrix():
        return False
    return item.callspec.id not in wanted if hasattr(item, "callspec") else False


# -- the cells ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """A step of a playbook where STEP kinds strike. `task`: regex of the step's task (the callback strikes as it
    starts), or `where`: by transport, a function of the pair's two sites (as the test file passes them) that
    returns the Strike finding the step by its requests. `sites`: the sites (as the test names them) a kind that
    strikes one site may strike at this step, one cell each; `controller`: the one whose controller carries the
    step out (the first of `sites` unless said)."""
    name: str
    task: Optional[str] = None
    where: Dict[str, object] = field(default_factory=dict)
    sites: Tuple[str, ...] = ()
    controller: Optional[str] = None

    def located(self, transport):
        return self.task is not None or transport in self.where

    def sites_for(self, kind):
        if not kind.strikes_a_site:
            return (None,)
        if kind.name == "controller-restart":
            return ((self.controller or self.sites[0]),) if self.sites else ()
        return self.sites


@dataclass(frozen=True)
class CellSpec:
    playbook: str
    step: str
    kind: str
    transport: str
    site: Optional[str] = None  # the site the kind strikes, as the test file names it

    @property
    def id(self):
        site = "-%s" % self.site.replace(" ", "-") if self.site else ""
        return "%s-%s-%s%s" % (self.transport, self.step.replace(" ", "-"), self.kind, site)


def matrix_cells(playbook, steps, transports=TRANSPORTS):
    """Every cell of a playbook: pytest params of (transport, CellSpec), the transport for the matrix fixture."""
    name = playbook.split(".")[-1]
    specs = []
    for transport in transports:
        for kind in KINDS:
            if transport not in kind.transports:
                continue
            if kind.scope == RUN:
                where = [(EVERY_STEP, None)]
            else:
                where = [(step.name, site) for step in steps if step.located(transport)
                         for site in step.sites_for(kind)]
            specs += [CellSpec(name, step, kind.name, transport, site) for step, site in where
                      if not inapplicable(name, step, kind.name, transport)]
    return [pytest.param(spec.transport, spec, id=spec.id) for spec in specs]


def step_named(steps, name):
    return next((step for step in steps if step.name == name), None)


# -- striking inside a task ------------------------------------------------------------------------------------
def primary_site(sandbox, pair, transport="indirect"):
    """The one site whose DAG resource reports Primary (an assertion error otherwise)."""
    return PairState(sandbox, pair, transport).primary()


class Strike:
    """Strikes once the `nth` request `verbs` on `resource` by `agent` (the collection's unless said) is in the
    audit log of site `after`, while the sandbox holds back the next `hold` request ((site, verb, resource)) of
    `hold_agent` ('' for any client) so that the fault lands before it is carried out."""

    def __init__(self, after, verbs, resource, nth=1, hold=None, hold_agent=COLLECTION_AGENT,
                 agent=COLLECTION_AGENT):
        self.after, self.verbs, self.resource, self.nth, self.hold = after, verbs, resource, nth, hold
        self.hold_agent, self.agent = hold_agent, agent
        self.fired = False
        self.errors = []
        self._stop = threading.Event()
        self._thread = None

    def start(self, sandbox, commands):
        if self.hold:
            site, verb, resource = self.hold
            sandbox.site(site).ops().set_faults([{"verb": verb, "resource": resource, "user_agent": self.hold_agent,
                                                  "latency_ms": HOLD_MS, "count": 1}])
        log = sandbox.site(self.after).files.audit_log
        start = log.stat().st_size if log.exists() else 0
        self._thread = threading.Thread(target=self._watch, args=(log, start, commands), daemon=True)
        self._thread.start()

    def _watch(self, log, position, commands):
        seen = 0
        while not self._stop.is_set():
            with open(log, encoding="utf-8") as handle:
                handle.seek(position)
                lines = handle.readlines()
                if lines and not lines[-1].endswith("\n"):
                    lines.pop()  # a line still being written
                position += sum(len(line.encode("utf-8")) for line in lines)
            for entry in (json.loads(line) for line in lines if line.strip()):
                if entry["user_agent"].startswith(self.agent) and not entry["dry_run"] and \
                        entry["verb"] in self.verbs and entry["resource"] == self.resource:
                    seen += 1
                    if seen == self.nth:
                        self._strike(commands)
                        return
            time.sleep(0.01)

    def _strike(self, commands):
        for command in commands:
            done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False,
                                  cwd=str(REPO_ROOT))
            # the kill of the playbook's group is the one command whose exit says nothing about the strike
            if done.returncode != 0 and "kill-playbook" not in command:
                self.errors.append("%s: exit %d: %s" % (" ".join(command), done.returncode, done.stderr[-500:]))
        self.fired = True

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(150)
        assert not self.errors, "the fault could not be injected: %s" % self.errors
        return self.fired


# -- a cell's row ----------------------------------------------------------------------------------------------
class NotConverged(AssertionError):
    """The playbook did not converge the pair once the fault was cleared."""

    def __init__(self, run):
        super().__init__(repr(run))
        self.run = run


class Cell:
    """One row of the matrix."""

    def __init__(self, spec):
        self.spec = spec
        self.outcome = self.message = self.converged_by = None
        self.checks = {}
        self.acknowledged_writes = None  # planned failover and failback: how many writes the workload had acknowledged
        self.record = None  # the last handover record once converged: mode, from, to, outcome
        self.seconds = 0.0

    def row(self):
        return {"playbook": self.spec.playbook, "step": self.spec.step, "fault": self.spec.kind,
                "transport": self.spec.transport, "site": self.spec.site, "outcome": self.outcome,
                "message": self.message, "converged_by": self.converged_by, "checks": self.checks,
                "acknowledged_writes": self.acknowledged_writes, "record": self.record,
                "seconds": round(self.seconds, 1)}


# -- the matrix of one playbook on one sandbox -----------------------------------------------------------------
class Matrix:
    """Runs the cells of one playbook on one sandbox (of one transport) and its DR pairs."""

    def __init__(self, sandbox, workdir, playbook, transport):
        self.sandbox, self.workdir, self.playbook, self.transport = sandbox, Path(workdir), playbook, transport
        self.pid_file = self.workdir / "ansible-playbook.pid"
        self.runner = Ansible(sandbox, self.workdir, ansible_playbook=playbook_shim(self.workdir))
        self.pairs = PlaybookPairs(sandbox, self.workdir)
        self.cells = []
        self.fired_log = self.workdir / "fault-fired.jsonl"
        self._live = None
        self.last_record = None

    def state(self, pair):
        return PairState(self.sandbox, pair, self.transport)

    def fired(self, pattern):
        """Whether the fault_trigger callback struck at a task matching `pattern` during the last run."""
        if not self.fired_log.exists():
            return False
        notes = [json.loads(line) for line in self.fired_log.read_text().splitlines()]
        for note in notes:
            assert not note["errors"], "the fault could not be injected: %s" % note["errors"]
        return any(re.search(pattern, note["task"]) or note["task"] == pattern for note in notes)

    # -- the pair ---------------------------------------------------------------------------------------------
    def new_pair(self, prefix):
        pair = self.pairs.new(prefix)
        return pair, self.pairs.inventory(pair)

    def set_up(self, prefix):
        pair, inventory = self.new_pair(prefix)
        self.run("arcdata.sqlmi.dr_setup", inventory, check_rc=True)
        return pair, inventory

    def live_pair(self, prefix):
        """The pair the file's cells share, set up anew when the last cell left it broken (a cell that did not
        converge), so that every cell starts from a healthy pair."""
        if self._live is not None and not self._healthy(self._live[0]):
            remove_pair(self, *self._live)
            self._live = None
        if self._live is None:
            self._live = self.set_up(prefix)
        return self._live

    def _healthy(self, pair):
        checks = self.cells[-1].checks if self.cells else {}
        return all(checks.get(name, True) for name in PAIR_HEALTH) and sorted(self.state(pair).roles().values(), key=str) == ["Primary", "Secondary"]

    def run(self, playbook, inventory, fault_at=None, commands=(), extra_vars=None, check_rc=False):
        env = {"ARC_PLAYBOOK_PID_FILE": str(self.pid_file)}
        if fault_at:
            env.update({"ARC_FAULT_AT": fault_at, "ARC_FAULT_COMMANDS": json.dumps(list(commands)),
                        "ARC_FAULT_FIRED": str(self.fired_log), "ARC_FAULT_CWD": str(REPO_ROOT)})
        run = self.runner.run(playbook, inventory=inventory, extra_vars=dict(SHORT_WAITS, **(extra_vars or {})),
                              env=env)
        if check_rc:
            assert run.rc == 0, run
        return run

    def cli(self):
        return (sys.executable, "-m", "sandbox", "--runtime-dir", str(self.sandbox.runtime_dir))

    # -- faults -----------------------------------------------------------------------------------------------
    def set_rules(self, rules):
        for site in HOSTS:
            self.sandbox.site(site).ops().set_faults([dict(rule, user_agent=COLLECTION_AGENT) for rule in rules])

    def clear(self):
        """Every fault gone: rules cleared, sites started, link healed."""
        status = json.loads(run_cli(self.sandbox.runtime_dir, "status", "--json").stdout)
        for site, state in status["sites"].items():
            if not state.get("running", True):
                run_cli(self.sandbox.runtime_dir, "start", "--site", site)
        run_cli(self.sandbox.runtime_dir, "heal", check=False)
        self.sandbox.refresh()
        for site in HOSTS:
            self.sandbox.site(site).ops().clear_faults()
        if self.transport == DIRECT:
            run_cli(self.sandbox.runtime_dir, "arm-fault", "--clear")
            run_cli(self.sandbox.runtime_dir, "arm-tokens", "--default-lifetime")

    # -- a cell -----------------------------------------------------------------------------------------------
    def cell(self, pair, inventory, spec, step=None, site=None, extra_vars=None, converge=None, strike=None,
             expected_primary=None, invariants=None):
        """Run the playbook with the fault of `spec`, clear it, converge, check. `step`: the Step (its task, when
        `strike` does not find it by its requests); `site`: the site a kind that strikes one site strikes;
        `converge(pair, inventory)` -> how the pair converged; `expected_primary`: the site the transition makes
        primary (after a kill, the re-run must finish it there); `invariants(pair)` -> checks, by default those of
        a live pair."""
        kind = BY_NAME[spec.kind]
        cell = Cell(spec)
        started = time.monotonic()
        context = Context(self.cli(), self.transport, site, str(self.pid_file))
        records_before = self.state(pair).handover_events() if kind.interrupts and expected_primary else None
        run = self._faulted_run(inventory, kind, context, step, strike, extra_vars, cell)
        self._judge(cell, kind, run, pair)
        try:
            if kind.interrupts or converge is None:  # after a kill, the operator runs the same playbook again
                cell.converged_by = self.rerun(pair, inventory, extra_vars)
            else:
                cell.converged_by = converge(pair, inventory)
            cell.checks["converged"] = True
        except NotConverged as failure:  # recorded in the table, then reported by the test
            cell.converged_by = "did not converge: %s" % _first_line(failed_messages(failure.run))
            cell.checks["converged"] = False
            self._keep(cell, started)
            raise
        self.last_record = None
        cell.checks.update((invariants or self.invariants)(pair))
        cell.record = self.last_record
        if records_before is not None:
            cell.checks.update(self.resumed(pair, expected_primary, records_before))
        self._keep(cell, started)
        return cell

    def _faulted_run(self, inventory, kind, context, step, strike, extra_vars, cell):
        commands = kind.commands(context) if kind.commands else []
        fault_at = step.task if commands and strike is None else None
        if kind.rules:
            self.set_rules(kind.rules)
        self.fired_log.unlink(missing_ok=True)
        self.commands(kind.before(context) if kind.before else [])
        background = kind.background(context) if kind.background else None
        if strike is not None:
            strike.start(self.sandbox, commands)
        try:
            run = self.run(self.playbook, inventory, fault_at, commands if fault_at else (), extra_vars)
        finally:
            struck = strike.stop() if strike is not None else None
            if background is not None:
                background.stop()
            self.commands(kind.clear(context) if kind.clear else [], check=False)
            self.clear()
        if fault_at:  # a cell whose fault never struck would pass for nothing
            cell.checks["the fault struck at the step"] = self.fired(fault_at)
        if strike is not None:
            cell.checks["the fault struck at the step"] = struck
        return run

    @staticmethod
    def commands(commands, check=True):
        """Run a kind's commands (the sandbox CLI's); with `check`, one that fails fails the cell."""
        for command in commands:
            done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False,
                                  cwd=str(REPO_ROOT))
            failure = "%s: exit %d: %s" % (" ".join(command), done.returncode, done.stderr[-500:])
            assert done.returncode == 0 or not check, failure

    def _judge(self, cell, kind, run, pair):
        if kind.interrupts:
            cell.outcome = "killed" if run.rc < 0 else "completed" if run.rc == 0 else "failed"
            cell.checks["ansible-playbook killed at the step"] = run.rc == -9
            return
        cell.outcome = "completed" if run.rc == 0 else "failed"
        cell.message = None if run.rc == 0 else _first_line(failed_messages(run))
        if run.rc != 0:
            cell.checks["failure names site, object and cause"] = names_site_object_cause(run, pair)

    def _keep(self, cell, started):
        cell.seconds = time.monotonic() - started
        self.cells.append(cell)

    def rerun(self, pair, inventory, extra_vars=None):
        return self.converge_with(self.playbook, inventory, extra_vars)

    def converge_with(self, playbook, inventory, extra_vars=None):
        """Run the playbook to converge the pair; when the faulted run could not release its DR lock (its site
        died, or it was killed), wait until the lock expires and run again, as an operator told so by the message
        would."""
        run = self.run(playbook, inventory, extra_vars=extra_vars)
        how = "re-run of %s" % playbook.split(".")[-1]
        if run.rc != 0 and "the DR lock" in failed_messages(run) and "is held by" in failed_messages(run):
            time.sleep(LOCK_SECONDS + 1)
            run = self.run(playbook, inventory, extra_vars=extra_vars)
            how += " (after the dead run's DR lock expired)"
        if run.rc != 0:
            raise NotConverged(run)
        return how

    # -- what must hold after every cell ----------------------------------------------------------------------
    def invariants(self, pair):
        """A live pair: one primary, connected, Ready, no duplicates, the lock free, the record naming the
        primary."""
        state = self.state(pair)
        for site in HOSTS:
            state.wait(site, _settled, timeout=SETTLE_SECONDS)
        current = state.roles()
        checks = {"exactly one primary": sorted(current.values()) == ["Primary", "Secondary"],
                  "connected and Succeeded": all(_settled(state.dag(site)) for site in HOSTS),
                  "instances Ready": all(((state.instance(site) or {}).get("status") or {}).get("state") == "Ready"
                                         for site in HOSTS),
                  "no duplicate objects": all(state.objects(site) == state.expected_objects(site)
                                              for site in HOSTS),
                  "the DR lock free": not any(state.lock_holders().values())}
        if self.playbook != "arcdata.sqlmi.dr_setup":
            latest = state.latest_record() or {}
            primary = [site for site, role in current.items() if role == "Primary"]
            # a run that changed the roles and then failed waiting records that (outcome failed); a re-run that
            # then finds nothing to do adds no record: the last one must still name the primary
            checks["the last handover record names the primary"] = [latest.get("to_site")] == primary
            self.last_record = "%s %s -> %s, %s" % tuple(latest.get(key) for key in (
                "mode", "from_site", "to_site", "outcome")) if latest else "none"
        return checks

    def gone(self, pair):
        """A torn-down pair: nothing of it on either site (in direct mode Resource Manager's projection removes
        the sites' objects after its own operation ended: given SETTLE_SECONDS), the lock free."""
        state = self.state(pair)
        deadline = time.monotonic() + SETTLE_SECONDS
        left = self._left(state)
        while left and time.monotonic() < deadline:
            time.sleep(1)
            left = self._left(state)
        self.last_record = "left: %s" % left if left else None
        return {"nothing of the pair left": not left, "the DR lock free": not any(state.lock_holders().values())}

    @staticmethod
    def _left(state):
        return dict((site, dict((kind, names) for kind, names in state.objects(site).items() if names))
                    for site in HOSTS if any(state.objects(site).values()))

    def resumed(self, pair, expected_primary, records_before):
        """After a kill: the re-run finished the interrupted transition (no second switch) and recorded it once."""
        state = self.state(pair)
        after = state.handover_events()
        return {"the interrupted transition finished, no second switch": state.roles().get(expected_primary)
                == "Primary",
                "one handover record for the transition on each site": all(
                    after[site] - records_before[site] == 1 for site in HOSTS)}

    def save(self):
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / ("%s-%s.json" % (self.playbook.split(".")[-1], self.transport))
        path.write_text(json.dumps({"playbook": self.playbook, "transport": self.transport, "finished": time.time(),
                                    "cells": [c.row() for c in self.cells]}, indent=1))


@contextlib.contextmanager
def matrix_on_own_sandbox(tmp_path_factory, playbook, label, transport):
    """A Matrix for one playbook on a sandbox of its own in `transport` (its cells kill sites and cut links); the
    rows are saved when the file's cells are done, and the sandbox stopped whatever happened."""
    mode = ("--mode", "direct") if transport == DIRECT else ()
    with own_sandbox(tmp_path_factory, "sandbox-matrix-%s-%s" % (label, transport), *mode) as sites:
        matrix = Matrix(sites, tmp_path_factory.mktemp("matrix-%s-%s" % (label, transport)), playbook, transport)
        try:
            yield matrix
        finally:
            if matrix.cells:
                matrix.save()


def assert_passed(cell):
    failed = [name for name, ok in cell.checks.items() if not ok]
    assert not failed, "%s: %s; outcome %s: %s" % (cell.spec.id, failed, cell.outcome, cell.message)


def _settled(obj):
    status = (obj or {}).get("status") or {}
    return connected(obj or {}) and status.get("state") == "Succeeded" and \
        status.get("observedGeneration") == obj["metadata"].get("generation")


def _first_line(text):
    return " ".join(text.split())[:400]


def names_site_object_cause(run, pair):
    """Whether some failed task's message names a site of the pair, an object of the pair and a cause."""
    sites = ("primary", "secondary", "arc-primary", "arc-secondary", "127.10.0.1", "127.20.0.1")
    objects = set(pair.instances.values()) | set(pair.dags.values()) | {pair.dag_name, pair.group}
    for task in run.failed():
        message = str(task["result"].get("msg") or "")
        if any(s in message for s in sites) and any(o in message for o in objects) and CAUSES.search(message):
            return True
    return False


class AcknowledgedWrites:
    """A workload on the pair's primary during a planned transition: every write it was acknowledged must be on
    the primary afterwards."""

    def __init__(self, state):
        self.state = state
        endpoint = state.instance(state.primary())["status"]["endpoints"]["primary"]
        self.workload = Workload(endpoint, rate=50, prefix="matrix-%s" % state.pair.tag).start()

    def lost(self):
        self.workload.stop()
        endpoint = self.state.instance(self.state.primary())["status"]["endpoints"]["primary"]
        with SqlClient(endpoint) as sql:
            present = {(record["lsn"], record["key"]) for record in sql.records()}
        return [write for write in self.workload.acknowledged if write not in present]


def partner(site):
    return PARTNER[site]


def strike_at(step, spec, *sites):
    """The Strike that finds `step` by its requests in the cell's transport, for a kind that strikes at a step;
    None when the kind lasts the whole run or the step is a task of its own (the callback strikes it)."""
    if step is None or BY_NAME[spec.kind].scope == RUN or spec.transport not in step.where:
        return None
    return step.where[spec.transport](*sites)


def remove_pair(matrix, pair, inventory):
    """Remove what is left of a pair a cell made, so that the sandbox does not keep running it: straight through
    the API in indirect mode; in direct mode through dr_teardown (Resource Manager holds the resources)."""
    if matrix.transport == DIRECT:
        confirm = {"dr_teardown_confirm": pair.dag_name, "dr_teardown_instances": True}
        matrix.run(PLAYBOOK_TEARDOWN, inventory, extra_vars=confirm)
    else:
        delete_dr_pair(matrix.sandbox, pair)
