"""Secret hygiene (issue 6 item 3): every playbook of the collection, run as an operator debugging it would run it
(-vvv --diff, an Ansible log file, custom stats shown), first in check mode and then for real, through a pair's life
on the sandbox: setup, status, planned failover, failback, the primary site killed (status during the outage, forced
failover), its return (status of the split brain), rejoin, teardown. Nothing the runs leave for a user to read may
hold an actual secret value: no bearer token of either site (whatever its role), no admin password (plain or
base64), no kubeconfig text, no line of any private key of the sandbox. One site's kubeconfig is given as a dict, so its token travels through the modules'
arguments and must be hidden there too.

What is searched: each run's stdout, stderr and log file; every task result (the diffs, registered results and
set_stats data among them); the handover records (annotation on both DAG resources, Events with reason Handover)
after each run; the Markdown and HTML status reports.

A module that refuses its arguments (a typo, a wrong type, a choice that does not exist) answers before it has
connected anywhere, with its arguments echoed at -vvv: the second test holds that answer to the same rule."""
import base64
import time
import uuid
from pathlib import Path

import pytest
import yaml

from .conftest import Ansible
from .dr_playbooks import PlaybookPairs, dag_object, handover_events, roles, wait_for_dag
from .leaks import Artifacts, Secrets, collect_run

HANDOVER = "arcdata.sqlmi/handover"
ROLES_AFTER_SETUP = {"primary": "Primary", "secondary": "Secondary"}
ROLES_AFTER_FAILOVER = {"primary": "Secondary", "secondary": "Primary"}
SHOWN_LEAKS = 40  # a leak usually repeats in stdout, the log file and the task result: the first ones say where


class Drill:
    """Runs the playbooks on one pair and collects everything the runs leave behind."""

    def __init__(self, sites, ansible, pairs, workdir):
        self.sites, self.ansible, self.workdir = sites, ansible, Path(workdir)
        self.pair = pairs.new("hyg")
        # the primary site's kubeconfig as a dict (module option `kubeconfig` accepts one): its token is then a
        # module argument, shown at -vvv unless the modules hide it; the secondary keeps the file path
        kubeconfig = yaml.safe_load(Path(sites.site("primary").kubeconfig).read_text())
        self.pair.host_vars["primary"]["arc_kubeconfig"] = kubeconfig
        self.inventory = pairs.inventory(self.pair)
        self.artifacts = Artifacts()
        self.secrets = Secrets()
        self.secrets.add_password("the pair's admin password", self.pair.admin_password)
        self.secrets.add_runtime_dir(sites.runtime_dir)  # tokens and keys now, to redact a failed run's output
        self.runs = []
        self.last = None  # the name of the latest run, as its artifacts are named
        self.dead = set()  # sites killed by the test: nothing to read there

    def run(self, playbook, check=False, extra_vars=None, expect_success=True):
        number = len(self.runs) + 1
        name = f"run {number} {playbook.rsplit('.', 1)[-1]}{' --check' if check else ''}"
        log_path = self.workdir / f"ansible-{number}.log"
        report_dir = self.workdir / f"reports-{number}"
        env = {"ANSIBLE_LOG_PATH": str(log_path), "ARC_DR_REPORT_DIR": str(report_dir),
               "ANSIBLE_SHOW_CUSTOM_STATS": "1"}
        started = time.monotonic()
        run = self.ansible.run(f"arcdata.sqlmi.{playbook}", inventory=self.inventory, extra_vars=extra_vars,
                               check=check, diff=True, verbosity=3, env=env)
        self.runs.append((name, round(time.monotonic() - started, 1)))
        self.last = name
        self._collect(name, run, log_path, report_dir)
        if (run.rc == 0) != expect_success:
            # pytest.fail, not assert: pytest would show the Run's repr, and this test must not print the secrets
            # it looks for; the output's tail is shown with them replaced by their labels
            pytest.fail(f"{name}: rc {run.rc}, expected {'0' if expect_success else 'a failure'}\n"
                        + self.secrets.redact(run.stdout)[-4000:] + "\n" + self.secrets.redact(run.stderr)[-2000:],
                        pytrace=False)
        return run

    def _collect(self, name, run, log_path, report_dir):
        collect_run(self.artifacts, name, run, log_path, report_dir)
        self.collect_handover_records(name)

    def collect_handover_records(self, name):
        """The handover annotation of each DAG resource and its Handover Events, on each site that answers."""
        for site in ("primary", "secondary"):
            if site in self.dead:
                continue
            obj = dag_object(self.sites, self.pair, site)
            annotations = ((obj or {}).get("metadata") or {}).get("annotations") or {}
            self.artifacts.add(f"{name}: handover annotation on {site}", annotations.get(HANDOVER, ""))
            for event in handover_events(self.sites, self.pair, site):
                self.artifacts.add_structure(f"{name}: Handover Event {event.metadata.name} on {site}",
                                             event.to_dict())


def _admin_password_in_use(sites, pair):
    """The password in the primary instance's login Secret: the one the playbooks were given."""
    site = sites.site("primary")
    secret = site.core().read_namespaced_secret(f"{pair.instances['primary']}-login-secret", site.namespace)
    return base64.b64decode(secret.data["password"]).decode()


def _split_brain_reported(obj):
    status = obj.get("status") or {}
    return status.get("role") == "Primary" and status.get("healthState") not in (None, "OK")


# 16 playbook runs at -vvv: about 3 minutes on a quiet machine, 10 and more when other suites load it
@pytest.mark.timeout(1800)
def test_no_playbook_run_shows_a_secret(arc_sites, tmp_path):
    pairs = PlaybookPairs(arc_sites, tmp_path)
    drill = Drill(arc_sites, Ansible(arc_sites, tmp_path), pairs, tmp_path)
    started = time.monotonic()
    try:
        _run_every_playbook(drill, arc_sites)
    finally:
        if "primary" in drill.dead:  # back first: the pair's objects are removed from both sites
            arc_sites.start("primary")
        pairs.remove_all()
    # the secrets as they are now: the instances' mirroring keys exist since the setup run
    drill.secrets.add_runtime_dir(arc_sites.runtime_dir)
    _assert_the_search_means_something(drill)
    leaks = drill.artifacts.leaks(drill.secrets)
    timings = ", ".join(f"{name} {seconds} s" for name, seconds in drill.runs)
    print(f"\n{len(drill.runs)} runs in {time.monotonic() - started:.0f} s ({timings}); "
          f"{len(drill.secrets.names())} secrets ({len(drill.secrets.values)} values) searched in "
          f"{len(drill.artifacts.texts)} artifacts ({drill.artifacts.size() // 1024} KiB)")
    _fail_on(leaks)


def _fail_on(leaks):
    """Fail with where each secret showed, never with its value (pytest.fail: no assertion introspection)."""
    if leaks:
        shown = leaks[:SHOWN_LEAKS] + ([f"... and {len(leaks) - SHOWN_LEAKS} more"] if len(leaks) > SHOWN_LEAKS else [])
        pytest.fail(f"{len(leaks)} secret leak(s), as (secret) in (artifact): (surroundings, each secret shown as "
                    f"<its name>):\n" + "\n".join(shown), pytrace=False)


def _run_every_playbook(drill, sites):
    confirm = {"dr_failover_confirm": drill.pair.dag_name}
    teardown = {"dr_teardown_confirm": drill.pair.dag_name, "dr_teardown_instances": True}
    # check mode on a pair that does not exist yet predicts the instances and their login Secrets
    drill.run("dr_setup", check=True)
    drill.run("dr_setup")
    assert roles(sites, drill.pair) == ROLES_AFTER_SETUP
    # the password searched for is the one the instance got (compared without pytest printing either)
    password_in_use = _admin_password_in_use(sites, drill.pair) == drill.pair.admin_password
    assert password_in_use, "the primary instance's login Secret does not hold the pair's admin password"
    drill.secrets.add_runtime_dir(sites.runtime_dir)  # the instances' keys, before anything removes them
    drill.run("dr_status", check=True)
    drill.run("dr_status")
    drill.run("failover_planned", check=True)
    drill.run("failover_planned")
    assert roles(sites, drill.pair) == ROLES_AFTER_FAILOVER
    drill.run("failback", check=True)
    drill.run("failback")
    assert roles(sites, drill.pair) == ROLES_AFTER_SETUP

    # a disaster: the primary site dies, its errors (and its dict kubeconfig) go through the forced failover
    sites.kill("primary")
    drill.dead.add("primary")
    # the operator looks first: no primary answers, so it fails, after a report that carries the dead site's error
    drill.run("dr_status", expect_success=False)
    report = drill.artifacts.texts[f"{drill.last}: status report {drill.pair.group}.md"]
    assert "unreachable" in report, drill.secrets.redact(report)
    drill.run("failover_forced", check=True, extra_vars=confirm)
    drill.run("failover_forced", extra_vars=confirm)
    sites.start("primary")
    drill.dead.discard("primary")
    wait_for_dag(sites, drill.pair, "primary", _split_brain_reported)
    drill.collect_handover_records("after the primary site returned")
    drill.run("dr_status", expect_success=False)  # two primaries: it fails after writing its reports
    drill.run("dr_rejoin", check=True)
    drill.run("dr_rejoin")
    assert roles(sites, drill.pair) == ROLES_AFTER_FAILOVER

    drill.run("dr_teardown", check=True, extra_vars=teardown)
    drill.run("dr_teardown", extra_vars=teardown)


def _assert_the_search_means_something(drill):
    """A search that finds nothing proves nothing unless the needles are the real secrets and the haystack holds
    what a leak would ride on."""
    names, texts = drill.secrets.names(), drill.artifacts.texts
    for site in ("primary", "secondary"):
        for expected in (f"bearer token of sites/{site}/token", f"kubeconfig text sites/{site}/kubeconfig",
                         f"private key sites/{site}/pki/ca.key"):
            assert expected in names, (expected, sorted(names))
        assert any(name.startswith(f"private key sites/{site}/controller/") and name.endswith("mirroring.key")
                   for name in names), f"no instance mirroring key of {site} found: {sorted(names)}"
    everything = "\n".join(texts.values())
    assert "ESTABLISH LOCAL CONNECTION" in everything, "the runs were not at -vvv"
    # the dict kubeconfig reached the modules and was printed with their arguments (its tokens hidden)
    assert "certificate-authority-data" in everything, "the dict kubeconfig was not shown with the module arguments"
    assert "admin_password" in everything, "the instance task's arguments were not shown"
    assert any(name.endswith(", diff") for name in texts), "no task showed a diff"
    assert any(name.endswith("set_stats data") for name in texts), "no set_stats data"
    assert "CUSTOM STATS" in everything, "custom stats were not shown"
    assert any("Ansible log file" in name for name in texts), "no Ansible log file written"
    assert any("handover annotation" in name for name in texts), "no handover record read"
    assert any("Handover Event" in name for name in texts), "no Handover Event read"
    assert {".md", ".html"} <= {Path(name.rsplit(" ", 1)[-1]).suffix for name in texts if "status report" in name}


# Each refused before the module connects; the kubeconfig is a dict holding the site's tokens.
REFUSALS = [
    ("An option the module does not have", "arcdata.sqlmi.arc_sqlmi_info", {"nmae": "{{ instance }}"},
     "Unsupported parameters"),
    ("An option of the wrong type, the admin password given", "arcdata.sqlmi.arc_sqlmi",
     {"replicas": "three", "admin_username": "dbadmin", "admin_password": "{{ password }}"}, "replicas"),
    ("A private key where the partner's certificate belongs, and a sync mode that does not exist",
     "arcdata.sqlmi.arc_dag", {"dag_name": "dagtest", "local_instance": "{{ instance }}", "remote_instance": "other",
                               "remote_mirroring_url": "tcp://127.0.0.1:5022", "remote_mirroring_cert": "{{ key }}",
                               "sync_mode": "sometimes", "role": "primary"}, "sync_mode"),
]


def test_a_module_refusing_its_arguments_shows_no_secret(arc_sites, tmp_path):
    site = arc_sites.site("primary")
    secrets = Secrets()
    secrets.add_runtime_dir(arc_sites.runtime_dir)
    password = f"Pw-{uuid.uuid4().hex[:16]}!Z"
    secrets.add_password("the admin password given", password)
    key_file = Path(site.files.controller_state) / "cluster-ca.key"  # a key someone mistook for a certificate
    connection = {"name": "{{ instance }}", "kubeconfig": "{{ kubeconfig }}", "context": site.context,
                  "namespace": site.namespace}
    tasks = [{"name": name, module: dict(arguments, **connection), "ignore_errors": True}
             for name, module, arguments, _expected in REFUSALS]
    play_vars = {"kubeconfig": yaml.safe_load(Path(site.kubeconfig).read_text()), "password": password,
                 "key": key_file.read_text(), "instance": "sqlrefused"}
    ansible = Ansible(arc_sites, tmp_path)
    log_path = tmp_path / "ansible.log"
    run = ansible.run(ansible.play(tasks, vars=play_vars), diff=True, verbosity=3,
                      env={"ANSIBLE_LOG_PATH": str(log_path)})
    for name, _module, _arguments, expected in REFUSALS:  # each refusal happened, for the reason meant
        outcome = [(task["outcome"], str(task["result"].get("msg"))) for task in run.results(name)]
        refused = len(outcome) == 1 and outcome[0][0] == "failed" and expected in outcome[0][1]
        assert refused, (name, secrets.redact(repr(outcome)))  # a bool: pytest prints no part of the output
    artifacts = Artifacts()
    artifacts.add("stdout", run.stdout)
    artifacts.add("stderr", run.stderr)
    artifacts.add("Ansible log file", log_path.read_text())
    for task in run.tasks:
        artifacts.add_structure(f"task {task['task']!r}, result", task["result"])
    assert "module_args" in run.stdout, "the module arguments were not shown"
    _fail_on(artifacts.leaks(secrets))
