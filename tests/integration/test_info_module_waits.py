"""arc_sqlmi_info and arc_dag_info with wait: true, run as a user runs them (ansible-playbook against a sandbox of this
module's own; its tests kill sites and cut the link). What a user sees:

- a wait returns the object as it was when the condition was met: an instance Ready for its generation right after a
  write made without wait (a read without wait just before shows it was not), an instance gone, a DAG side connected
  once the link is back, the other site Primary after a planned switch;
- the wait watches (one watch request, not a read every second);
- a site that dies during the wait ends it at once, well before its timeout, with a message naming the site, the
  object and the cause;
- an instance the controller puts in Error ends the wait at once with the controller's message;
- a wait that runs out of time on a live site names the object, the field, the value expected, the value last seen
  and the time waited.

The sandbox makes an instance Ready READY_DELAY seconds after a change, so that a read right after a write made
without wait finds it not Ready yet: a wait that did not wait would fail these tests.
"""
import threading
import time
import uuid

import pytest
from kubernetes.client.rest import ApiException

from tests.sandbox.conftest import SandboxHandle, run_cli

from .conftest import ARC_GROUP, HOSTS, Ansible, DrPair, delete_dr_pair, seed_walkthrough
from .dr_playbooks import connected, sandbox_inventory, wait_for_dag

# long enough that, even on a loaded machine, the read made just after a write finds the instance not Ready yet
READY_DELAY = 5.0
# the sandbox's other timings, as conftest.TIMINGS (a partner is DISCONNECTED after 2 s of silence)
TIMINGS = ("--ready-delay", str(READY_DELAY), "--session-timeout", "2", "--connect-timeout", "3",
           "--failover-timeout", "8")
# a wait on a dead site must end long before its timeout: the retries of a refused connection take about 2 s
LONG_WAIT = 300
ENDED_AFTER_A_KILL_WITHIN = 45
RUN_BOUND = 400
INSTANCES = ("sqlmanagedinstances", "v13")
FAILOVER_GROUPS = ("failovergroups", "v2")


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    runtime_dir = tmp_path_factory.mktemp("sandbox-info-waits")
    run_cli(runtime_dir, "up", "--api-port", "0", *TIMINGS)
    try:
        yield SandboxHandle(runtime_dir)
    finally:
        run_cli(runtime_dir, "heal", check=False)
        run_cli(runtime_dir, "down", check=False)


@pytest.fixture(scope="module")
def pair(sites, tmp_path_factory):
    """One DR pair set up with the seed's walk-through (its DAG connected); removed at the end."""
    workdir = tmp_path_factory.mktemp("info-waits-pair")
    made = DrPair("iw")
    run = Ansible(sites, workdir).run(seed_walkthrough(Ansible(sites, workdir), made, workdir / "certs"))
    assert run.rc == 0, run
    yield made
    for site in HOSTS:
        run_cli(sites.runtime_dir, "start", "--site", site, check=False)
    run_cli(sites.runtime_dir, "heal", check=False)
    delete_dr_pair(sites, made)


@pytest.fixture
def ansible(sites, tmp_path):
    return Ansible(sites, tmp_path)


@pytest.fixture
def linked(sites, pair):
    """Both sites running, the link up and both sides connected, whatever an earlier test left."""
    for site in HOSTS:
        run_cli(sites.runtime_dir, "start", "--site", site, check=False)
    run_cli(sites.runtime_dir, "heal")
    for site in HOSTS:
        wait_for_dag(sites, pair, site, connected, timeout=60)
    return pair


def context_of(sites, site):
    return sandbox_inventory(sites)[0][site]["arc_context"]


def task(title, module, **args):
    return {"name": title, f"arcdata.sqlmi.{module}": args, "register": "result"}


def collection_requests(entries, verb, plural, name=None):
    return [e for e in entries if e.get("user_agent", "").startswith("arcdata.sqlmi/") and e["verb"] == verb
            and e["resource"] == plural and (name is None or e["name"] == name)]


def run_and_kill_during_the_wait(ansible, sites, playbook, site, plural, name):
    """Run `playbook`; once the module on `site` has read the object `name` (it starts watching it right after),
    kill `site`. Returns the run and the seconds from the kill to the end of the run."""
    handle = sites.site(site)
    mark = handle.audit_mark()
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.update(run=ansible.run(playbook, timeout=RUN_BOUND)))
    thread.start()
    deadline = time.monotonic() + 120
    while not collection_requests(handle.audit_since(mark), "get", plural, name):
        assert thread.is_alive() and time.monotonic() < deadline, f"the module never read {plural}/{name}"
        time.sleep(0.05)
    time.sleep(1.0)  # the watch starts milliseconds after that read; let it settle in
    assert thread.is_alive(), "the run ended before the site was killed: nothing was waited for"
    sites.kill(site)
    killed = time.monotonic()
    thread.join(RUN_BOUND)
    return outcome["run"], time.monotonic() - killed


def assert_ended_by_the_dead_site(sites, run, task_name, site, obj, took):
    assert run.rc != 0, run
    result = run.result(task_name, site)
    message = result["msg"]
    assert took < ENDED_AFTER_A_KILL_WITHIN, f"the wait went on {took:.1f} s after the site died: {message}"
    assert context_of(sites, site) in message and obj in message, message
    assert "gave up waiting for" in message and "stopped answering" in message, message
    assert result.get("reason") == "Unreachable", result
    # it had been waiting (the site was killed a second after the module's read) and stopped soon after the kill
    assert 1.0 <= result["elapsed"] < ENDED_AFTER_A_KILL_WITHIN + 5, result
    print("DEAD SITE:", message)
    assert message in run.stdout, "the play output does not say why the wait ended"
    return message


# -- arc_sqlmi_info ------------------------------------------------------------------------------------------------
def test_sqlmi_info_waits_until_an_instance_written_without_wait_is_ready(ansible, sites):
    name = f"sqliw-{uuid.uuid4().hex[:6]}"
    password = f"Pw-{uuid.uuid4().hex[:12]}!Z"
    create = task("Create the instance without waiting", "arc_sqlmi", name=name, tier="gp", replicas=1,
                  admin_username="dbadmin", admin_password=password, wait=False)
    create["register"] = "written"
    read = task("Read it at once", "arc_sqlmi_info", name=name)
    read["register"] = "at_once"
    wait = task("Wait until it is Ready for its generation", "arc_sqlmi_info", name=name, wait=True,
                wait_timeout=120)
    handle = sites.site("primary")
    mark = handle.audit_mark()
    try:
        run = ansible.run(ansible.play([create, read, wait]))
        assert run.rc == 0, run
        written = run.result("Create the instance without waiting")["instance"]
        at_once = run.result("Read it at once")["instances"][0]
        assert at_once["ready"] is False, f"the instance was Ready before any wait: the test proves nothing {at_once}"
        result = run.result("Wait until it is Ready for its generation")
        (instance,) = result["instances"]
        assert (instance["state"], instance["ready"]) == ("Ready", True), instance
        assert instance["observed_generation"] >= instance["generation"] >= written["metadata"]["generation"]
        assert instance["certificate"]["fingerprint_sha256"], instance  # the summary of a Ready instance
        assert 0.5 < result["waited"] < 120, result  # it did wait: the instance became Ready during the task
        # watched, not polled: the wait read the instance once (each task reads it once: arc_sqlmi, the read at
        # once, the wait) and learnt of the change from the watch. (The watch request itself is audited only when
        # the server closes it, after the module has gone.)
        reads = collection_requests(handle.audit_since(mark), "get", INSTANCES[0], name)
        assert len(reads) == 3, reads

        # deleted without wait, then waited for until it is gone
        delete = task("Delete the instance without waiting", "arc_sqlmi", name=name, state="absent", wait=False)
        gone = task("Wait until it is gone", "arc_sqlmi_info", name=name, wait=True, wait_condition="absent",
                    wait_timeout=60)
        run = ansible.run(ansible.play([delete, gone]))
        assert run.rc == 0, run
        assert run.result("Wait until it is gone")["instances"] == []
        with pytest.raises(ApiException) as raised:
            handle.custom().get_namespaced_custom_object(ARC_GROUP, INSTANCES[1], handle.namespace, INSTANCES[0],
                                                         name)
        assert raised.value.status == 404
    finally:
        _delete_instance(handle, name)


def test_sqlmi_with_nothing_to_write_still_waits_for_an_instance_not_ready_yet(ansible, sites):
    """arc_sqlmi's wait promises an instance Ready as asked when it returns, also when another run made the change:
    the same spec asked again while the instance is still being provisioned writes nothing and waits."""
    name = f"sqliw-{uuid.uuid4().hex[:6]}"
    password = f"Pw-{uuid.uuid4().hex[:12]}!Z"
    create = task("Create the instance without waiting", "arc_sqlmi", name=name, tier="gp", replicas=1,
                  admin_username="dbadmin", admin_password=password, wait=False)
    again = task("Ask for the same instance, waiting", "arc_sqlmi", name=name, tier="gp", replicas=1, wait=True,
                 wait_timeout=120)
    read = task("Read it at once", "arc_sqlmi_info", name=name)
    handle = sites.site("primary")
    try:
        run = ansible.run(ansible.play([create, read, again]))
        assert run.rc == 0, run
        assert run.result("Read it at once")["instances"][0]["ready"] is False, "Ready before any wait: proves nothing"
        result = run.result("Ask for the same instance, waiting")
        assert result["changed"] is False, result
        assert (result["state"], result["summary"]["ready"]) == ("Ready", True), result
        assert result["summary"]["certificate"]["fingerprint_sha256"], result["summary"]

        # Ready as asked: the same again returns at once, without a watch
        mark = handle.audit_mark()
        run = ansible.run(ansible.play([again]))
        assert run.rc == 0 and run.result("Ask for the same instance, waiting")["changed"] is False, run
        assert not collection_requests(handle.audit_since(mark), "watch", INSTANCES[0]), "waited for a Ready instance"
    finally:
        _delete_instance(handle, name)


def _delete_instance(handle, name):
    """Remove an instance a test made, and its admin login Secret, straight through the API (gone already is fine)."""
    custom, core = handle.custom(), handle.core()
    for delete, args in ((custom.delete_namespaced_custom_object,
                          (ARC_GROUP, INSTANCES[1], handle.namespace, INSTANCES[0], name)),
                         (core.delete_namespaced_secret, (f"{name}-login-secret", handle.namespace))):
        try:
            delete(*args)
        except ApiException as exc:
            assert exc.status == 404, exc


def test_sqlmi_info_wait_ends_at_once_on_the_controllers_error(ansible, sites):
    """An instance the controller refuses (written past the module's checks, straight through the API) is in Error
    for its generation: the wait ends at once with the controller's message instead of waiting for its timeout."""
    handle = sites.site("primary")
    name = f"sqlbad-{uuid.uuid4().hex[:6]}"
    body = {"apiVersion": f"{ARC_GROUP}/{INSTANCES[1]}", "kind": "SqlManagedInstance", "metadata": {"name": name},
            "spec": {"tier": "GeneralPurpose", "replicas": 1, "scheduling": {"default": {"resources": {
                "requests": {"memory": "1Gi"}}}}}}
    handle.custom().create_namespaced_custom_object(ARC_GROUP, INSTANCES[1], handle.namespace, INSTANCES[0], body)
    try:
        started = time.monotonic()
        run = ansible.run(ansible.play([task("Wait until it is Ready", "arc_sqlmi_info", name=name, wait=True,
                                             wait_timeout=LONG_WAIT)]))
        assert time.monotonic() - started < 60, "the wait went on after the controller reported Error"
        assert run.rc != 0, run
        message = run.result("Wait until it is Ready")["msg"]
        assert context_of(sites, "primary") in message and f"{handle.namespace}/{name}" in message, message
        assert "the controller reports Error: " in message and "memory" in message, message
    finally:
        _delete_instance(handle, name)


def test_sqlmi_info_wait_ends_at_once_when_its_site_dies(ansible, sites, pair):
    """Waiting for an instance that stays (absent, with a long timeout): the site dies during the wait."""
    name = pair.instances["primary"]
    playbook = ansible.play([task("Wait until the instance is gone", "arc_sqlmi_info", name=name, wait=True,
                                  wait_condition="absent", wait_timeout=LONG_WAIT)])
    try:
        run, took = run_and_kill_during_the_wait(ansible, sites, playbook, "primary", INSTANCES[0], name)
        assert_ended_by_the_dead_site(sites, run, "Wait until the instance is gone", "primary", name, took)
    finally:
        sites.start("primary")


# -- arc_dag_info --------------------------------------------------------------------------------------------------
def _cut_the_link(sites, pair):
    run_cli(sites.runtime_dir, "partition")
    for site in HOSTS:
        wait_for_dag(sites, pair, site, lambda obj: not connected(obj), timeout=60)


@pytest.mark.timeout(600)
def test_dag_info_wait_times_out_on_live_sites_with_the_link_cut_then_sees_it_back(ansible, sites, linked):
    pair = linked
    wait = task("Wait until this side is Succeeded and connected", "arc_dag_info",
                name="{{ dr_dags[inventory_hostname] }}", wait=True, wait_timeout=4)
    playbook = ansible.play([wait], hosts="primary:secondary", vars={"dr_dags": pair.dags})
    _cut_the_link(sites, pair)
    try:
        run = ansible.run(playbook)
    finally:
        run_cli(sites.runtime_dir, "heal")
    assert run.rc != 0, run
    for site in HOSTS:
        result = run.result("Wait until this side is Succeeded and connected", site)
        message = result["msg"]
        assert message.startswith(f"context {context_of(sites, site)} "), message
        waited = float(message.split("timed out after ")[1].split(" s")[0])
        assert waited >= 4 and result["elapsed"] >= 4, message
        for part in (f"failovergroups.{ARC_GROUP} arc/{pair.dags[site]}",
                     "status.state and status.replicas[].connectedState",
                     "'Succeeded' for its generation with every replica CONNECTED",
                     "last seen state='Succeeded'", "connectedState ['DISCONNECTED', 'DISCONNECTED']"):
            assert part in message, (part, message)
        assert result["field"] == "status.state and status.replicas[].connectedState", result
        assert result["last_object"]["metadata"]["name"] == pair.dags[site], result
        print("TIMEOUT:", message)

    # the link is back: the same wait ends once each side is connected again, and says so
    playbook[0]["tasks"][0]["arcdata.sqlmi.arc_dag_info"]["wait_timeout"] = 60
    run = ansible.run(playbook)
    assert run.rc == 0, run
    for site in HOSTS:
        result = run.result("Wait until this side is Succeeded and connected", site)
        (side,) = result["dags"]
        assert (side["linked"], side["connected"], side["state"]) == (True, True, "Succeeded"), side
        assert result["waited"] >= 0, result


@pytest.mark.timeout(600)
def test_dag_info_wait_ends_at_once_when_its_site_dies(ansible, sites, linked):
    pair = linked
    name = pair.dags["primary"]
    playbook = ansible.play([task("Wait until this side is connected", "arc_dag_info", name=name, wait=True,
                                  wait_timeout=LONG_WAIT)])
    _cut_the_link(sites, pair)
    try:
        run, took = run_and_kill_during_the_wait(ansible, sites, playbook, "primary", FAILOVER_GROUPS[0], name)
        message = assert_ended_by_the_dead_site(sites, run, "Wait until this side is connected", "primary", name,
                                                took)
        assert "connectedState ['DISCONNECTED', 'DISCONNECTED']" in message, message  # what it last saw
    finally:
        sites.start("primary")
        run_cli(sites.runtime_dir, "heal")


@pytest.mark.timeout(600)
def test_dag_info_waits_for_the_roles_of_a_planned_switch(ansible, sites, linked):
    """The switch is written without wait on the current primary; each site then waits for its new role."""
    pair = linked

    def switch(from_site, to_site):
        write = task("Set role secondary on the current primary, without waiting", "arc_dag",
                     name="{{ dr_dags[inventory_hostname] }}", role="secondary", wait=False)
        write["when"] = f"inventory_hostname == '{from_site}'"
        promoted = task("Wait until the other site is Primary", "arc_dag_info",
                        name="{{ dr_dags[inventory_hostname] }}", wait=True, wait_condition="primary",
                        wait_timeout=60)
        promoted["when"] = f"inventory_hostname == '{to_site}'"
        demoted = task("Wait until the old primary is Secondary", "arc_dag_info",
                       name="{{ dr_dags[inventory_hostname] }}", wait=True, wait_condition="secondary",
                       wait_timeout=60)
        demoted["when"] = f"inventory_hostname == '{from_site}'"
        run = ansible.run(ansible.play([write, promoted, demoted], hosts="primary:secondary",
                                       vars={"dr_dags": pair.dags}))
        assert run.rc == 0, run
        assert run.result("Wait until the other site is Primary", to_site)["dags"][0]["role"] == "Primary"
        assert run.result("Wait until the old primary is Secondary", from_site)["dags"][0]["role"] == "Secondary"

    switch("primary", "secondary")
    for site in HOSTS:
        wait_for_dag(sites, pair, site, connected, timeout=60)
    switch("secondary", "primary")
