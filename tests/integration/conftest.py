"""Integration tests: ansible-playbook runs the collection's modules against a sandbox of our own
(both sites with their Arc controllers, fast timings), through the sandbox's generated inventory,
exactly as a user runs them. Every task result is captured as JSON (callback_plugins/task_log.py)
and each site's audit log tells which requests the run made."""
import contextlib
import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml
from kubernetes import watch
from kubernetes.client.rest import ApiException

from sandbox.layout import REPO_ROOT
from tests.sandbox.conftest import SandboxHandle, run_cli

HERE = Path(__file__).resolve().parent
TIMINGS = ("--ready-delay", "0.2", "--session-timeout", "2", "--connect-timeout", "3", "--failover-timeout", "8")
COLLECTIONS_PATH = REPO_ROOT / "build"  # `make integration` syncs the collection there first
# the connection options of every arcdata.sqlmi module, from the site's host vars
MODULE_DEFAULTS = {"group/arcdata.sqlmi.arc": {"kubeconfig": "{{ arc_kubeconfig }}", "context": "{{ arc_context }}",
                                               "namespace": "{{ arc_namespace }}"}}


class Run:
    """One ansible-playbook run: exit code, output, and every task result."""

    def __init__(self, process, task_log):
        self.rc = process.returncode
        self.stdout, self.stderr = process.stdout, process.stderr
        self.tasks = [json.loads(line) for line in task_log.read_text().splitlines()] if task_log.exists() else []

    def results(self, task=None, host=None):
        return [t for t in self.tasks if (task is None or t["task"] == task) and (host is None or t["host"] == host)]

    def result(self, task, host=None):
        found = self.results(task, host)
        assert len(found) == 1, f"expected one result of {task!r} on {host or 'any host'}, got {len(found)}\n" \
                                f"{self.stdout[-3000:]}"
        return found[0]["result"]

    def changed(self):
        return [t for t in self.tasks if t["result"].get("changed")]

    def failed(self):
        return [t for t in self.tasks if t["outcome"] == "failed"]

    def __repr__(self):
        return f"<ansible-playbook rc={self.rc}>\n{self.stdout[-4000:]}\n{self.stderr[-2000:]}"


class Ansible:
    """Runs playbooks against one sandbox's inventory, with this virtualenv's ansible-playbook or the one given
    (another ansible-core's, such as the oldest that meta/runtime.yml declares)."""

    def __init__(self, sandbox, workdir, ansible_playbook=None):
        self.sandbox = sandbox
        self.workdir = Path(workdir)
        self.inventory = sandbox.report["inventory"]
        self.ansible_playbook = str(ansible_playbook or Path(sys.executable).parent / "ansible-playbook")

    def play(self, tasks, hosts="primary", name="test play", gather_facts=False, vars=None):  # noqa: A002
        """A playbook of one play with the collection's connection defaults set from host vars."""
        return [{"name": name, "hosts": hosts, "gather_facts": gather_facts, "module_defaults": MODULE_DEFAULTS,
                 "vars": vars or {}, "tasks": tasks}]

    def run(self, playbook, extra_vars=None, check=False, diff=False, verbosity=0, env=None, limit=None,
            inventory=None, timeout=600):
        """Run a playbook (a list of plays, or a path); returns a Run."""
        tag = uuid.uuid4().hex[:8]
        if isinstance(playbook, (list, dict)):
            path = self.workdir / f"playbook-{tag}.yml"
            path.write_text(yaml.safe_dump(playbook, sort_keys=False))
        else:
            path = Path(playbook)
        task_log = self.workdir / f"tasks-{tag}.jsonl"
        command = [self.ansible_playbook, "-i", str(inventory or self.inventory),
                   str(path)]
        if extra_vars:
            command += ["-e", json.dumps(extra_vars)]
        if check:
            command.append("--check")
        if diff:
            command.append("--diff")
        if verbosity:
            command.append("-" + "v" * verbosity)
        if limit:
            command += ["--limit", limit]
        environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_PATH),
                           ANSIBLE_CALLBACK_PLUGINS=str(HERE / "callback_plugins"), ANSIBLE_CALLBACKS_ENABLED="task_log,fault_trigger",
                           ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", ANSIBLE_HOST_KEY_CHECKING="0",
                           ANSIBLE_RETRY_FILES_ENABLED="0", ARC_TASK_LOG=str(task_log),
                           ANSIBLE_LOCAL_TEMP=str(self.workdir / "ansible-tmp"))
        environment.update(env or {})
        process = subprocess.run(command, cwd=self.workdir, env=environment, capture_output=True, text=True,
                                 timeout=timeout, check=False)
        return Run(process, task_log)


def write_requests(entries):
    """The audit entries that wrote something (dry runs excluded)."""
    return [e for e in entries if e["verb"] in ("create", "update", "patch", "delete", "deletecollection")
            and not e.get("dry_run")]


def collection_requests(entries):
    """The audit entries sent by the collection (not by the site's controller or the tests)."""
    return [e for e in entries if e.get("user_agent", "").startswith("arcdata.sqlmi/")]


@contextlib.contextmanager
def own_sandbox(tmp_path_factory, label, *up_args):
    """Both sites with controllers and fast timings (plus `up_args`, such as a profile), stopped whatever happens:
    for a test module that kills sites or cuts links, or needs another profile."""
    runtime_dir = tmp_path_factory.mktemp(label)
    run_cli(runtime_dir, "up", "--api-port", "0", *(up_args + TIMINGS))
    try:
        yield SandboxHandle(runtime_dir)
    finally:
        run_cli(runtime_dir, "heal", check=False)
        run_cli(runtime_dir, "down", check=False)


@pytest.fixture(scope="session")
def arc_sites(tmp_path_factory):
    """Both sites with controllers, profile current."""
    with own_sandbox(tmp_path_factory, "integration-sandbox") as sites:
        yield sites


@pytest.fixture
def ansible(arc_sites, tmp_path):
    return Ansible(arc_sites, tmp_path)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


# -- helpers of the DR tests (seed walk-through, check mode, diff, failover, profiles) --------------------------
HOSTS = ("primary", "secondary")
PARTNER = {"primary": "secondary", "secondary": "primary"}
ARC_GROUP = "sql.arcdata.microsoft.com"
STEP_INSTANCE = "Provision the instance, the DR instance on the secondary site (seed steps 1 and 2)"
STEP_CERT = "Save the instance's mirroring certificate to a file (seed step 3)"
# Both sides of the DAG in ONE task: Ansible runs a task on all hosts of the play at once (forks), and a
# DAG side only reports Succeeded once its partner connected, so each side's wait sees the other one come.
STEP_DAG = "Create the DAG resource on both sites at once (seed step 4; the hosts run in parallel)"
STEP_DAG_INFO = "Read the DAG resource"
DISCOVERY_PATH = re.compile(r"^/api(/v1)?$|^/apis(/[^/]+(/[^/]+)?)?$")


class DrPair:
    """Names no other test uses for one DR pair: both instances, both DAG resources, the DAG; and an admin
    password of its own (so a test can search the output for it)."""

    def __init__(self, prefix="sql"):
        self.tag = uuid.uuid4().hex[:6]
        self.instances = {"primary": f"{prefix}primary-{self.tag}", "secondary": f"{prefix}secondary-{self.tag}"}
        self.dags = {"primary": f"dagprimary-{self.tag}", "secondary": f"dagsecondary-{self.tag}"}
        self.dag_name = f"dagtest-{self.tag}"
        self.admin_password = f"Pw-{uuid.uuid4().hex[:16]}!Z"

    def play_vars(self, cert_dir):
        return {"dr_instances": self.instances, "dr_dag_resources": self.dags, "dr_dag_name": self.dag_name,
                "dr_partner": "{{ 'secondary' if inventory_hostname == 'primary' else 'primary' }}",
                "dr_cert_dir": str(cert_dir), "dr_admin_password": self.admin_password}


def instance_task(**extra):
    """Seed steps 1 and 2: `az sql mi-arc create --tier bc --replicas 3 [--disaster-recovery-site true]`."""
    args = {"name": "{{ dr_instances[inventory_hostname] }}", "tier": "bc", "replicas": 3,
            "disaster_recovery_site": "{{ inventory_hostname == 'secondary' }}", "admin_username": "dbadmin",
            "admin_password": "{{ dr_admin_password }}"}
    args.update(extra)
    return {"name": STEP_INSTANCE, "arcdata.sqlmi.arc_sqlmi": args}


def cert_task():
    """Seed step 3: `az sql mi-arc get-mirroring-cert --cert-file $HOME/sqlcerts/<name>.pem`."""
    return {"name": STEP_CERT, "arcdata.sqlmi.arc_mirroring_cert": {
        "name": "{{ dr_instances[inventory_hostname] }}",
        "dest": "{{ dr_cert_dir }}/{{ dr_instances[inventory_hostname] }}.pem"}, "register": "dr_mirroring"}


def dag_task(**extra):
    """Seed step 4: `az sql mi-arc dag create` on each site, the partner's URL taken from its arc_mirroring_cert
    result through hostvars and its certificate from the file step 3 wrote."""
    args = {"dag_name": "{{ dr_dag_name }}", "name": "{{ dr_dag_resources[inventory_hostname] }}",
            "local_instance": "{{ dr_instances[inventory_hostname] }}",
            "remote_instance": "{{ dr_instances[dr_partner] }}",
            "remote_mirroring_url": "{{ hostvars[dr_partner].dr_mirroring.mirroring_url }}",
            "remote_mirroring_cert_file": "{{ dr_cert_dir }}/{{ dr_instances[dr_partner] }}.pem",
            "role": "{{ 'primary' if inventory_hostname == 'primary' else 'secondary' }}"}
    args.update(extra)
    return {"name": STEP_DAG, "arcdata.sqlmi.arc_dag": args}


def dag_info_task():
    return {"name": STEP_DAG_INFO, "arcdata.sqlmi.arc_dag_info": {"name": "{{ dr_dag_resources[inventory_hostname] }}"}}


def seed_walkthrough(ansible, pair, cert_dir):
    """The seed document's walk-through as one play over both sites (hosts primary and secondary)."""
    Path(cert_dir).mkdir(parents=True, exist_ok=True)
    return ansible.play([instance_task(), cert_task(), dag_task(), dag_info_task()], hosts="primary:secondary",
                        name="seed walk-through", vars=pair.play_vars(cert_dir))


def module_tasks(run, host):
    """The results of the collection's module tasks on `host`."""
    return [t for t in run.tasks if t["host"] == host and t["action"].startswith("arcdata.sqlmi.")]


def discovery_requests(entries):
    return [e for e in entries if DISCOVERY_PATH.match(e["path"].split("?")[0])]


def dag_summary(run, host, task=STEP_DAG_INFO):
    """The one DAG summary arc_dag_info returned on `host`."""
    dags = run.result(task, host)["dags"]
    assert len(dags) == 1, dags
    return dags[0]


def wait_for_object(site, plural, name, predicate, version="v2", timeout=30):
    """Watch one custom object of the site's namespace until predicate(obj) holds, and return it (event-driven:
    for what the site's controller reports on its own, such as the health after a restart)."""
    api = site.custom()
    deadline = time.monotonic() + timeout
    obj = api.get_namespaced_custom_object(ARC_GROUP, version, site.namespace, plural, name)
    while not predicate(obj):
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"{plural}/{name} on {site.name}: not there after {timeout} s; status {obj.get('status')}"
        stream = watch.Watch().stream(api.list_namespaced_custom_object, ARC_GROUP, version, site.namespace, plural,
                                      field_selector=f"metadata.name={name}", timeout_seconds=max(1, int(remaining)),
                                      resource_version=obj["metadata"]["resourceVersion"])
        try:
            for event in stream:
                if event["type"] == "ERROR":  # expired: read again, watch again
                    obj = api.get_namespaced_custom_object(ARC_GROUP, version, site.namespace, plural, name)
                    break
                if event["type"] in ("ADDED", "MODIFIED"):
                    obj = event["raw_object"]
                    if predicate(obj):
                        break
        except ApiException as exc:  # the client raises a 410 Gone (a restarted site) instead of yielding it
            assert exc.status == 410, exc
            obj = api.get_namespaced_custom_object(ARC_GROUP, version, site.namespace, plural, name)
    return obj


CERTIFICATE_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.S)


def public_certificate_bodies(root):
    """The base64 of every PEM certificate under `root`, each as one string without line breaks."""
    bodies = set()
    for path in Path(root).rglob("*"):
        if path.is_file() and path.suffix in (".crt", ".pem") and path.stat().st_size < 1_000_000:
            bodies.update("".join(match.group(1).split())
                          for match in CERTIFICATE_BLOCK.finditer(path.read_text(errors="replace")))
    return bodies


def is_public(line, bodies):
    """An RSA private key holds its public modulus, which its certificate carries too: a key line that lies wholly
    in the modulus can appear in the certificate's text, which is public (and every output may show it)."""
    return any(line in body for body in bodies)


def private_key_material(root):
    """The base64 lines of every PEM private key under `root` (the sandbox's CA, API server and mirroring keys),
    less those that are public (is_public)."""
    lines, public = set(), public_certificate_bodies(root)
    for path in Path(root).rglob("*.key"):
        text = path.read_text(errors="replace")
        if "PRIVATE KEY" in text:
            lines.update(line for line in text.splitlines()
                         if line and not line.startswith("-----") and not is_public(line, public))
    return lines


def delete_dr_pair(sites, pair):
    """Remove what a DrPair's walk-through created (DAG resources first, then the instances and their admin login
    Secrets), straight through the API; a 404 (never created, or already gone) is fine."""
    for host in HOSTS:
        site = sites.site(host)
        custom, core = site.custom(), site.core()
        for plural, version, name in (("failovergroups", "v2", pair.dags[host]), ("dags", "v1beta2", pair.dags[host]),
                                      ("sqlmanagedinstances", "v13", pair.instances[host])):
            try:
                custom.delete_namespaced_custom_object(ARC_GROUP, version, site.namespace, plural, name)
            except ApiException as exc:
                assert exc.status == 404, exc
        try:
            core.delete_namespaced_secret(f"{pair.instances[host]}-login-secret", site.namespace)
        except ApiException as exc:
            assert exc.status == 404, exc


@pytest.fixture
def new_dr_pair(arc_sites):
    """A factory of DrPair (new names each call) whose objects are removed after the test, so the shared sandbox
    does not keep running the pairs of finished tests."""
    pairs = []

    def make(prefix="sql"):
        pairs.append(DrPair(prefix))
        return pairs[-1]
    yield make
    for pair in pairs:
        delete_dr_pair(arc_sites, pair)


# -- docs/reliability.md from the fault matrix (tests/integration/test_fault_matrix_*.py) ---------------------------
@pytest.fixture(scope="module")
def matrix_transport(request):
    """The transport of a fault matrix cell (indirect or direct), given by the cell's parameters: module scope, so
    that a file's cells of one transport share one sandbox."""
    return request.param


def pytest_sessionstart(session):
    session.config.arc_started = time.time()


def pytest_collection_modifyitems(config, items):
    """Only the fault matrix's fixed slice, unless ARC_FAULT_MATRIX=full (make fault-matrix)."""
    from .fault_matrix import outside_the_slice  # pylint: disable=import-outside-toplevel
    left_out = [item for item in items if outside_the_slice(item)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not outside_the_slice(item)]
    from .fault_matrix import full_matrix  # pylint: disable=import-outside-toplevel
    from .reliability_report import note_collected  # pylint: disable=import-outside-toplevel
    if full_matrix():  # xdist's controller collects nothing: every worker notes what it collected (the same)
        note_collected(_matrix_cells(items))


def _matrix_cells(items):
    """The fault matrix cells collected: {"<playbook>-<transport>": [cell id, ...]}."""
    cells = {}
    for item in items:
        spec = item.callspec.params.get("spec") if hasattr(item, "callspec") else None
        if spec is not None and hasattr(spec, "playbook"):
            cells.setdefault("%s-%s" % (spec.playbook, spec.transport), []).append(spec.id)
    return cells


def pytest_sessionfinish(session):
    if hasattr(session.config, "workerinput"):  # an xdist worker: the controller writes it once all are done
        return
    from .fault_matrix import full_matrix  # pylint: disable=import-outside-toplevel
    from .reliability_report import write_if_complete  # pylint: disable=import-outside-toplevel
    if full_matrix():  # a slice would make a table of a few cells
        write_if_complete(getattr(session.config, "arc_started", time.time()))
