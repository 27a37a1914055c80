"""The fault matrix of issue 6, item 1: playbooks run while the sandbox misbehaves, then again once it is well.

A cell is (playbook, step, fault). Faults:
  flaky      20 % of the collection's requests answered 503, 429 or 500, from the first request to the last, so
             every step of the playbook meets them (one cell per playbook, step "every step")
  conflicts  30 % of the collection's writes (patch, update) answered 409 Conflict, likewise for every step
  api-dies   the API of the site the step works on is killed at the step
  link-cut   the mirroring link between the sites is cut at the step
A step inside a task (the failover module carries out a whole transition in one task) is found by its requests: a
Strike waits in the test for the collection's request that comes just before the step (in a site's audit log) and
then kills or cuts; the step's own request is held back by the sandbox meanwhile (a latency rule), so that the
fault lands before the step is carried out. A step that is a task of its own is struck by the fault_trigger callback
as the task starts. Flaky and conflicts are set before the run.
The outcome is either "completed" or "failed" with a message that must name the site, an object of
the pair and the cause. Then the fault is cleared (the site restarted, the link healed) and the pair converged
by re-running the playbook (for a forced failover that left two primaries: dr_rejoin), which must succeed. After
that every cell checks: exactly one primary, both sides connected and Succeeded, both instances Ready, no
duplicate objects of the pair, and for planned failovers, every write the workload had acknowledged present on
the primary. Each cell's row is written to build/reliability/<playbook>.json; reliability_report.py turns the
rows into docs/reliability.md at the end of the test session.
"""
import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from kubernetes.client.rest import ApiException

from sandbox.layout import REPO_ROOT
from sandbox.workload import Workload
from sandbox.sqlclient import SqlClient
from tests.sandbox.conftest import run_cli

from .conftest import ARC_GROUP, HOSTS, PARTNER, Ansible, own_sandbox
from .dr_playbooks import PlaybookPairs, connected, dag_object, failed_messages, instance_object, roles, wait_for_dag

RESULTS_DIR = REPO_ROOT / "build" / "reliability"
# a run whose lock site died cannot release its DR lock: the next run waits for it to expire, as an operator would
LOCK_SECONDS = 10
COLLECTION_AGENT = "arcdata.sqlmi/"
# short waits: a cell whose fault cannot be ridden out fails in seconds, not in the default 10 minutes
SHORT_WAITS = {"dr_failover_wait_timeout": 20, "dr_dag_wait_timeout": 20, "dr_site_wait_timeout": 40,
               "dr_failover_lock_duration": LOCK_SECONDS}
FLAKY_RULES = [{"code": 503, "rate": 0.07, "retry_after": 0}, {"code": 429, "rate": 0.075, "retry_after": 1},
               {"code": 500, "rate": 0.075}]
CONFLICT_RULES = [{"verb": "patch", "code": 409, "rate": 0.3}, {"verb": "update", "code": 409, "rate": 0.3}]
CAUSES = re.compile(r"unreachable|stopped answering|HTTP \d{3}|timed out|refused|not connected|did not complete|"
                    r"Conflict|failed", re.I)


# how long the sandbox holds back a step's request while the strike lands (a kill or a cut takes well under that)
HOLD_MS = 4000

# `make test` runs this fixed slice of the matrix, one cell per playbook and each fault once, so that it stays
# within its time; `make fault-matrix` (ARC_FAULT_MATRIX=full) runs every cell and rewrites docs/reliability.md.
FULL_MATRIX = "ARC_FAULT_MATRIX"
SLICE = {
    "test_fault_matrix_setup.py": "test_setup_cell[DAG-api-dies-primary]",
    "test_fault_matrix_planned.py": "test_planned_failover_cell[switch-link-cut]",
    "test_fault_matrix_forced.py": "test_forced_failover_cell[every-step-flaky]",
    "test_fault_matrix_rejoin.py": "test_rejoin_cell[every-step-conflicts]",
}


def full_matrix():
    return os.environ.get(FULL_MATRIX) == "full"


def outside_the_slice(item):
    """Whether a collected test is a matrix cell that the slice leaves out (never, for a full run)."""
    wanted = SLICE.get(item.path.name)
    return wanted is not None and not full_matrix() and item.name != wanted


class Strike:
    """Strikes with the fault once the collection's `nth` request `verbs` on `resource` at site `after` is in the
    audit log, while the sandbox holds back the collection's next `hold` request ((site, verb, resource)) so that
    the fault lands before it is carried out."""

    def __init__(self, after, verbs, resource, nth=1, hold=None, hold_any_client=False):
        """`hold_any_client`: hold the next such request whoever makes it (the site's controller writing a status,
        say), not only the collection's."""
        self.after, self.verbs, self.resource, self.nth, self.hold = after, verbs, resource, nth, hold
        self.hold_agent = "" if hold_any_client else COLLECTION_AGENT
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
                if entry["user_agent"].startswith(COLLECTION_AGENT) and not entry["dry_run"] and \
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
            if done.returncode != 0:
                self.errors.append("%s: exit %d: %s" % (" ".join(command), done.returncode, done.stderr[-500:]))
        self.fired = True

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(150)
        assert not self.errors, "the fault could not be injected: %s" % self.errors
        return self.fired


class NotConverged(AssertionError):
    """The playbook did not converge the pair once the fault was cleared."""

    def __init__(self, run):
        super().__init__(repr(run))
        self.run = run


class Cell:
    """One row of the matrix."""

    def __init__(self, playbook, step, fault):
        self.playbook, self.step, self.fault = playbook, step, fault
        self.outcome = self.message = self.converged_by = None
        self.checks = {}
        self.acknowledged_writes = None  # planned failover: how many writes the workload had acknowledged
        self.seconds = 0.0

    def row(self):
        return {"playbook": self.playbook, "step": self.step, "fault": self.fault, "outcome": self.outcome,
                "message": self.message, "converged_by": self.converged_by, "checks": self.checks,
                "acknowledged_writes": self.acknowledged_writes,
                "seconds": round(self.seconds, 1)}


class Matrix:
    """Runs the cells of one playbook on one sandbox and one DR pair."""

    def __init__(self, sandbox, workdir, playbook):
        self.sandbox, self.workdir, self.playbook = sandbox, Path(workdir), playbook
        self.runner = Ansible(sandbox, self.workdir)
        self.pairs = PlaybookPairs(sandbox, self.workdir)
        self.cells = []
        self.fired_log = self.workdir / "fault-fired.jsonl"

    def fired(self, pattern):
        """Whether the fault_trigger callback struck at a task matching `pattern` during the last run."""
        if not self.fired_log.exists():
            return False
        notes = [json.loads(line) for line in self.fired_log.read_text().splitlines()]
        for note in notes:
            assert not note["errors"], "the fault could not be injected: %s" % note["errors"]
        return any(re.search(pattern, note["task"]) for note in notes)

    # -- the pair ---------------------------------------------------------------------------------------------
    def new_pair(self, prefix):
        pair = self.pairs.new(prefix)
        return pair, self.pairs.inventory(pair)

    def set_up(self, prefix):
        pair, inventory = self.new_pair(prefix)
        self.run("arcdata.sqlmi.dr_setup", inventory, check_rc=True)
        return pair, inventory

    def run(self, playbook, inventory, fault_at=None, commands=(), extra_vars=None, check_rc=False):
        env = {"ARC_FAULT_AT": fault_at, "ARC_FAULT_COMMANDS": json.dumps(list(commands)),
               "ARC_FAULT_FIRED": str(self.fired_log), "ARC_FAULT_CWD": str(REPO_ROOT)} if fault_at else None
        run = self.runner.run(playbook, inventory=inventory, extra_vars=dict(SHORT_WAITS, **(extra_vars or {})),
                              env=env)
        if check_rc:
            assert run.rc == 0, run
        return run

    def cli(self, *args):
        return [sys.executable, "-m", "sandbox", "--runtime-dir", str(self.sandbox.runtime_dir)] + list(args)

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

    # -- a cell -----------------------------------------------------------------------------------------------
    def cell(self, pair, inventory, step, fault, task=None, site=None, extra_vars=None, converge=None, strike=None):
        """Run the playbook with the fault, clear it, converge, check. `task`: regex of the step's task name, or
        `strike`: a Strike that finds the step by its requests; `site`: the site whose API dies (api-dies).
        `converge(pair, inventory)` -> the playbook that converged."""
        cell = Cell(self.playbook, step, fault)
        started = time.monotonic()
        commands, fault_at = [], None
        if fault in ("flaky", "conflicts"):
            self.set_rules(FLAKY_RULES if fault == "flaky" else CONFLICT_RULES)
        elif fault == "api-dies":
            commands = [self.cli("kill", "--site", site)]
        elif fault == "link-cut":
            commands = [self.cli("partition")]
        if commands and strike is None:
            fault_at = task
        self.fired_log.unlink(missing_ok=True)
        if strike is not None:
            strike.start(self.sandbox, commands)
        try:
            run = self.run(self.playbook, inventory, fault_at, commands if fault_at else (), extra_vars)
        finally:
            struck = strike.stop() if strike is not None else None
            self.clear()
        if fault_at:  # a cell whose fault never struck would pass for nothing
            cell.checks["the fault struck at the step"] = self.fired(fault_at)
        if strike is not None:
            cell.checks["the fault struck at the step"] = struck
        cell.outcome = "completed" if run.rc == 0 else "failed"
        cell.message = None if run.rc == 0 else _first_line(failed_messages(run))
        if run.rc != 0:
            cell.checks["failure names site, object and cause"] = names_site_object_cause(run, pair)
        try:
            cell.converged_by = (converge or self.rerun)(pair, inventory)
            cell.checks["converged"] = True
        except NotConverged as failure:  # recorded in the table, then reported by the test
            cell.converged_by = "did not converge: %s" % _first_line(failed_messages(failure.run))
            cell.checks["converged"] = False
            cell.seconds = time.monotonic() - started
            self.cells.append(cell)
            raise
        cell.checks.update(self.invariants(pair))
        cell.seconds = time.monotonic() - started
        self.cells.append(cell)
        return cell

    def rerun(self, pair, inventory, extra_vars=None):
        return self.converge_with(self.playbook, inventory, extra_vars)

    def converge_with(self, playbook, inventory, extra_vars=None):
        """Run the playbook to converge the pair; when the faulted run could not release its DR lock (its site
        died), wait until the lock expires and run again, as an operator told so by the message would."""
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
        checks = {}
        for site in HOSTS:
            wait_for_dag(self.sandbox, pair, site, _settled, timeout=30)
        current = roles(self.sandbox, pair)
        checks["exactly one primary"] = sorted(current.values()) == ["Primary", "Secondary"]
        checks["connected and Succeeded"] = all(_settled(dag_object(self.sandbox, pair, site)) for site in HOSTS)
        checks["instances Ready"] = all((instance_object(self.sandbox, pair, site) or {}).get("status", {})
                                        .get("state") == "Ready" for site in HOSTS)
        checks["no duplicate objects"] = all(self.objects_of(pair, site) == self.expected_objects(pair, site)
                                             for site in HOSTS)
        return checks

    def objects_of(self, pair, site):
        """Every object of the site's namespace that bears the pair's tag, by kind."""
        handle = self.sandbox.site(site)
        custom, core = handle.custom(), handle.core()
        found = {}
        for plural, version in (("sqlmanagedinstances", "v13"), ("failovergroups", "v2")):
            items = custom.list_namespaced_custom_object(ARC_GROUP, version, handle.namespace, plural)["items"]
            found[plural] = sorted(i["metadata"]["name"] for i in items if pair.tag in i["metadata"]["name"])
        found["secrets"] = sorted(s.metadata.name for s in core.list_namespaced_secret(handle.namespace).items
                                  if pair.tag in s.metadata.name)
        return found

    @staticmethod
    def expected_objects(pair, site):
        return {"sqlmanagedinstances": [pair.instances[site]], "failovergroups": [pair.dags[site]],
                "secrets": [pair.instances[site] + "-login-secret"]}

    def save(self):
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / ("%s.json" % self.playbook.split(".")[-1])
        path.write_text(json.dumps({"playbook": self.playbook, "finished": time.time(),
                                    "cells": [c.row() for c in self.cells]}, indent=1))

    def remove_pairs(self):
        self.pairs.remove_all()


@contextlib.contextmanager
def matrix_on_own_sandbox(tmp_path_factory, playbook, label):
    """A Matrix for one playbook on a sandbox of its own (its cells kill sites and cut links); the rows are saved
    when the file's cells are done, and the sandbox stopped whatever happened."""
    with own_sandbox(tmp_path_factory, "sandbox-matrix-%s" % label) as sites:
        matrix = Matrix(sites, tmp_path_factory.mktemp("matrix-%s" % label), playbook)
        try:
            yield matrix
        finally:
            matrix.save()


def cell_id(cell):
    """A test id such as "switch-link-cut" for a (step, fault, ...) tuple or a pytest.param of one."""
    values = cell.values if hasattr(cell, "values") else cell
    dying = "-%s" % values[3].replace(" ", "-") if len(values) > 3 and values[3] else ""
    return "%s-%s%s" % (values[0].replace(" ", "-"), values[1], dying)


def assert_passed(cell):
    failed = [name for name, ok in cell.checks.items() if not ok]
    assert not failed, "%s/%s: %s; outcome %s: %s" % (cell.step, cell.fault, failed, cell.outcome, cell.message)


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


def primary_site(sandbox, pair):
    current = roles(sandbox, pair)
    primaries = [site for site, role in current.items() if role == "Primary"]
    assert len(primaries) == 1, current
    return primaries[0]


class AcknowledgedWrites:
    """A workload on the pair's primary during a planned failover: every write it was acknowledged must be on
    the primary afterwards."""

    def __init__(self, sandbox, pair):
        self.sandbox, self.pair = sandbox, pair
        site = primary_site(sandbox, pair)
        endpoint = instance_object(sandbox, pair, site)["status"]["endpoints"]["primary"]
        self.workload = Workload(endpoint, rate=50, prefix="matrix-%s" % pair.tag).start()

    def lost(self):
        self.workload.stop()
        site = primary_site(self.sandbox, self.pair)
        endpoint = instance_object(self.sandbox, self.pair, site)["status"]["endpoints"]["primary"]
        with SqlClient(endpoint) as sql:
            present = {(record["lsn"], record["key"]) for record in sql.records()}
        return [write for write in self.workload.acknowledged if write not in present]


def partner(site):
    return PARTNER[site]


def ignore_missing(call, *args):
    try:
        call(*args)
    except ApiException as exc:
        assert exc.status == 404, exc
