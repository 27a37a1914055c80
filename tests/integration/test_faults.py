"""Issue 4, "What must be true" item 6: the modules under a misbehaving API.

(a) 30 % of every request to both sites fails with 503: the walk-through still completes, each
    object is created exactly once (so is one whose create answer was lost). (b) Injected 409
    Conflicts on patches: an update re-reads, recomputes and retries. (c) A site's API is down: the
    failure names the site, the object, the verb and the reason, within bounded time. (d) A wait
    that times out names the object, the field, the expected and last seen values and the elapsed
    time, and returns the last object (and a failed watch request does not end a wait).
The sandbox is shared by the whole session: every fault is cleared and every stopped component
restarted in a finally block.
"""
import contextlib
import datetime
import re
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sandbox import supervisor

from .conftest import Ansible, collection_requests, unique


def partner_certificate():
    """A valid certificate of a partner that does not exist (never this site's own: arc_dag refuses that)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dbm")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


GROUP = "sql.arcdata.microsoft.com"
SITES = ("primary", "secondary")
PASSWORD = "Faults-Passw0rd!"
CREATED = ("secrets", "sqlmanagedinstances", "failovergroups")


@contextlib.contextmanager
def faults(arc_sites, rules, sites=SITES):
    """Inject `rules` on `sites` for the duration of the block; always cleared afterwards."""
    try:
        for name in sites:
            arc_sites.site(name).ops().set_faults(rules)
        yield
    finally:
        for name in sites:
            arc_sites.site(name).ops().clear_faults()


@contextlib.contextmanager
def controller_stopped(site):
    """The site's Arc controller is down for the duration of the block (its API keeps serving)."""
    try:
        supervisor.stop(site.files, "controller")
        yield
    finally:
        supervisor.start(site.files, "controller")
        supervisor.wait_component_ready(site.files, site.files.load_config(), "controller")


def pair_names(prefix):
    """Per-site names of one DR pair: instances, DAG resources, the shared DAG name."""
    primary_mi, secondary_mi, dag = unique(prefix + "p"), unique(prefix + "s"), unique(prefix + "dag")
    return {"primary": {"mi": primary_mi, "partner_mi": secondary_mi, "dag": dag + "-p", "role": "primary",
                        "partner": "secondary", "dr": False},
            "secondary": {"mi": secondary_mi, "partner_mi": primary_mi, "dag": dag + "-s", "role": "secondary",
                          "partner": "primary", "dr": True},
            "dag_name": dag}


def walkthrough_tasks(wait_timeout=120):
    """The seed's four steps on both sites (hosts), then arc_dag_info; per-host names come from `pair`."""
    this = "pair[inventory_hostname]"
    partner_cert = "hostvars[%s.partner].cert" % this
    return [
        {"name": "instance", "arcdata.sqlmi.arc_sqlmi": {
            "name": "{{ %s.mi }}" % this, "tier": "bc", "replicas": 3,
            "disaster_recovery_site": "{{ %s.dr }}" % this, "memory_request": "4Gi", "memory_limit": "4Gi",
            "admin_username": "dbadmin", "admin_password": PASSWORD, "wait_timeout": wait_timeout}},
        {"name": "certificate", "register": "cert", "arcdata.sqlmi.arc_mirroring_cert": {
            "name": "{{ %s.mi }}" % this, "wait_timeout": wait_timeout}},
        {"name": "dag", "arcdata.sqlmi.arc_dag": {
            "name": "{{ %s.dag }}" % this, "dag_name": "{{ pair.dag_name }}", "local_instance": "{{ %s.mi }}" % this,
            "remote_instance": "{{ %s.partner_mi }}" % this,
            "remote_mirroring_url": "{{ %s.mirroring_url }}" % partner_cert,
            "remote_mirroring_cert": "{{ %s.certificate }}" % partner_cert,
            "role": "{{ %s.role }}" % this, "sync_mode": "async", "wait_timeout": wait_timeout}},
        {"name": "dag info", "arcdata.sqlmi.arc_dag_info": {"name": "{{ %s.dag }}" % this}},
    ]


def delete_pair(arc_sites, pair):
    """Remove what a walk-through created (DAGs first), straight through the API; waits until gone."""
    for host in SITES:
        site, names = arc_sites.site(host), pair[host]
        custom, core = site.custom(), site.core()
        for plural, name in (("failovergroups", names["dag"]), ("sqlmanagedinstances", names["mi"])):
            version = "v2" if plural == "failovergroups" else "v13"
            with contextlib.suppress(Exception):
                custom.delete_namespaced_custom_object(GROUP, version, site.namespace, plural, name)
        with contextlib.suppress(Exception):
            core.delete_namespaced_secret(names["mi"] + "-login-secret", site.namespace)
    deadline = time.monotonic() + 30
    for host in SITES:
        site, names = arc_sites.site(host), pair[host]
        while time.monotonic() < deadline and names["mi"] in list_names(site, "sqlmanagedinstances", "v13"):
            time.sleep(0.2)


def list_names(site, plural, version):
    items = site.custom().list_namespaced_custom_object(GROUP, version, site.namespace, plural)["items"]
    return [item["metadata"]["name"] for item in items]


def storing_creates(entries, resource):
    """The collection's creates of `resource` that stored an object, including those whose answer was dropped
    (the audit log names no created object: a create is a POST to the collection)."""
    return [e for e in collection_requests(entries) if e["verb"] == "create" and e["resource"] == resource
            and not e.get("dry_run") and (e["code"] in (200, 201) or (e.get("fault") or {}).get("drop") == "after")]


# -- (a) 30 % of all requests fail with 503 ---------------------------------------------------------------------
def assert_created_once(site, entries, names):
    """Exactly one object of each name, and each stored by exactly one create of the collection."""
    assert [n for n in list_names(site, "sqlmanagedinstances", "v13") if n == names["mi"]] == [names["mi"]]
    assert [n for n in list_names(site, "failovergroups", "v2") if n == names["dag"]] == [names["dag"]]
    for resource in CREATED:
        creates = storing_creates(entries, resource)
        assert len(creates) == 1, creates


@pytest.mark.slow
def test_walkthrough_completes_when_30_percent_of_requests_fail_with_503(ansible, arc_sites):
    pair = pair_names("f503")
    marks = {host: arc_sites.site(host).audit_mark() for host in SITES}
    try:
        with faults(arc_sites, [{"code": 503, "rate": 0.3}]):  # every verb and resource of both sites
            run = ansible.run(ansible.play(walkthrough_tasks(), hosts="all", vars={"pair": pair}))
        assert run.rc == 0, run
        for host in SITES:
            info = run.result("dag info", host)["dags"]
            assert [d["name"] for d in info] == [pair[host]["dag"]], info
            assert info[0]["role"] == pair[host]["role"].capitalize(), info
            assert info[0]["state"] == "Succeeded" and info[0]["connected"], info
        for host in SITES:
            site = arc_sites.site(host)
            entries = site.audit_since(marks[host])
            injected = [e for e in collection_requests(entries) if (e.get("fault") or {}).get("code") == 503]
            assert injected, "no injected 503 reached the collection's requests: the test proved nothing"
            assert_created_once(site, entries, pair[host])
    finally:
        delete_pair(arc_sites, pair)


# -- (b) 409 Conflict on patches ------------------------------------------------------------------------------
def assert_conflicts_were_reread_and_retried(entries, resource, name, conflicts=3):
    """The collection's patches of the object: `conflicts` times 409, each followed by a fresh read, then 200."""
    requests = [e for e in collection_requests(entries) if e["resource"] == resource and e["name"] == name
                and e["verb"] in ("get", "patch")]
    patches = [e["code"] for e in requests if e["verb"] == "patch"]
    assert patches == [409] * conflicts + [200], requests
    for index, entry in enumerate(requests):
        if entry["verb"] == "patch" and entry["code"] == 409:
            assert requests[index + 1]["verb"] == "get", "no re-read after the conflict: %s" % requests


@pytest.fixture(scope="class")
def dr_pair(arc_sites, tmp_path_factory):
    """A DR pair for one test class, removed after it. It is made while the answer to the first create of each
    kind on each site is lost (the object is stored, the connection cut): the audit entries of the run are kept."""
    runner = Ansible(arc_sites, tmp_path_factory.mktemp("faults-pair"))
    pair = pair_names("fc")
    marks = {host: arc_sites.site(host).audit_mark() for host in SITES}
    try:
        with faults(arc_sites, [{"verb": "create", "resource": r, "drop": "after", "count": 1} for r in CREATED]):
            run = runner.run(runner.play(walkthrough_tasks(), hosts="all", vars={"pair": pair}))
        assert run.rc == 0, run
        yield dict(pair, entries={host: arc_sites.site(host).audit_since(marks[host]) for host in SITES})
    finally:
        delete_pair(arc_sites, pair)


class TestLostAnswersAndConflicts:
    """The pair's creates lost their answers; patches of its instance and DAG resource meet 409 Conflicts."""

    def test_a_create_whose_answer_was_lost_is_not_duplicated(self, arc_sites, dr_pair):
        for host in SITES:
            entries = dr_pair["entries"][host]
            for resource in CREATED:
                lost = [e for e in collection_requests(entries) if e["verb"] == "create" and e["resource"] == resource
                        and (e.get("fault") or {}).get("drop") == "after"]
                assert len(lost) == 1, "%s: the lost answer to a create of %s was not injected" % (host, resource)
            assert_created_once(arc_sites.site(host), entries, dr_pair[host])

    def test_instance_update_rereads_recomputes_and_retries_on_409(self, ansible, arc_sites, dr_pair):
        site, name = arc_sites.site("primary"), dr_pair["primary"]["mi"]
        mark = site.audit_mark()
        rule = {"verb": "patch", "resource": "sqlmanagedinstances", "code": 409, "rate": 1, "count": 3}
        with faults(arc_sites, [rule], sites=("primary",)):
            run = ansible.run(ansible.play([{"name": "update", "arcdata.sqlmi.arc_sqlmi": {
                "name": name, "memory_request": "5Gi", "memory_limit": "5Gi", "wait_timeout": 60}}]))
        assert run.rc == 0, run
        result = run.result("update", "primary")
        assert result["changed"] is True and result["state"] == "Ready", result
        resources = result["instance"]["spec"]["scheduling"]["default"]["resources"]
        assert resources["requests"]["memory"] == "5Gi" and resources["limits"]["memory"] == "5Gi", resources
        assert_conflicts_were_reread_and_retried(site.audit_since(mark), "sqlmanagedinstances", name)

    def test_dag_update_rereads_recomputes_and_retries_on_409(self, ansible, arc_sites, dr_pair):
        site, name = arc_sites.site("primary"), dr_pair["primary"]["dag"]
        mark = site.audit_mark()
        rule = {"verb": "patch", "resource": "failovergroups", "code": 409, "rate": 1, "count": 3}
        with faults(arc_sites, [rule], sites=("primary",)):
            run = ansible.run(ansible.play([{"name": "update", "arcdata.sqlmi.arc_dag": {
                "name": name, "sync_mode": "sync", "wait_timeout": 60}}]))
        assert run.rc == 0, run
        result = run.result("update", "primary")
        assert result["changed"] is True and result["state"] == "Succeeded", result
        assert result["resource"]["spec"]["partnerSyncMode"] == "sync", result["resource"]["spec"]
        assert_conflicts_were_reread_and_retried(site.audit_since(mark), "failovergroups", name)


# -- (c) a site's API is down -----------------------------------------------------------------------------------
def test_a_site_that_is_down_fails_naming_site_object_verb_and_reason_in_bounded_time(ansible, arc_sites):
    site, name = arc_sites.site("secondary"), unique("fdown")
    tasks = [
        # the first request is discovery (which version serves SqlManagedInstance)
        {"name": "create", "ignore_errors": True, "arcdata.sqlmi.arc_sqlmi": {
            "name": name, "tier": "gp", "admin_username": "dbadmin", "admin_password": PASSWORD}},
        # a pinned version needs no discovery: the first request is the read of the object
        {"name": "read", "ignore_errors": True, "arcdata.sqlmi.arc_sqlmi_info": {"name": name, "api_version": "v13"}},
    ]
    try:
        arc_sites.kill("secondary")
        started = time.monotonic()
        run = ansible.run(ansible.play(tasks, hosts="secondary"))
        elapsed = time.monotonic() - started
    finally:
        arc_sites.start("secondary")
    assert [t["outcome"] for t in run.tasks] == ["failed", "failed"], run
    for task in ("create", "read"):
        result = run.result(task, "secondary")
        message = result["msg"]
        for fragment in (site.context, site.api_url, "sqlmanagedinstances.sql.arcdata.microsoft.com",
                         "%s/%s" % (site.namespace, name), "get ", "unreachable"):
            assert fragment in message, "%r is not in the message of %s: %s" % (fragment, task, message)
        assert result["reason"] == "Unreachable" and result["verb"] == "get", result
    # retries are bounded: a sanity limit, not a performance target
    assert elapsed < 120, "failing against a dead site took %.0f s" % elapsed


# -- (d) waits that time out ------------------------------------------------------------------------------------
@pytest.fixture(scope="class")
def lone(arc_sites, tmp_path_factory):
    """A Ready GeneralPurpose instance on the primary site for one test class, and the name of a DAG resource
    a test may create on it; both removed after the class."""
    runner = Ansible(arc_sites, tmp_path_factory.mktemp("faults-lone"))
    names = {"mi": unique("fwait"), "dag": unique("fwaitdag")}
    site = arc_sites.site("primary")
    try:
        run = runner.run(runner.play([{"name": "instance", "arcdata.sqlmi.arc_sqlmi": {
            "name": names["mi"], "tier": "gp", "admin_username": "dbadmin", "admin_password": PASSWORD,
            "wait_timeout": 60}}]))
        assert run.rc == 0, run
        yield names
    finally:
        custom = site.custom()
        for plural, version, name in (("failovergroups", "v2", names["dag"]),
                                      ("sqlmanagedinstances", "v13", names["mi"])):
            with contextlib.suppress(Exception):
                custom.delete_namespaced_custom_object(GROUP, version, site.namespace, plural, name)
        with contextlib.suppress(Exception):
            site.core().delete_namespaced_secret(names["mi"] + "-login-secret", site.namespace)


class TestWaits:
    """Waits on the `lone` instance: one whose watch is interrupted, and two that cannot succeed."""

    def test_a_watch_request_answered_with_500_does_not_end_the_wait(self, ansible, arc_sites, lone):
        """Like every other request, a watch answered with a 5xx is retried: the wait goes on."""
        site = arc_sites.site("primary")
        mark = site.audit_mark()
        rule = {"verb": "watch", "resource": "sqlmanagedinstances", "code": 500, "rate": 1, "count": 2}
        with faults(arc_sites, [rule], sites=("primary",)):
            run = ansible.run(ansible.play([{"name": "update", "arcdata.sqlmi.arc_sqlmi": {
                "name": lone["mi"], "memory_request": "4Gi", "memory_limit": "4Gi", "wait_timeout": 30}}]))
        assert run.rc == 0, run
        assert run.result("update", "primary")["state"] == "Ready"
        watches = [e["code"] for e in collection_requests(site.audit_since(mark)) if e["verb"] == "watch"]
        assert 500 in watches, "no watch request met the injected 500: the test proved nothing (%s)" % watches

    def test_dag_whose_partner_never_connects_times_out_naming_field_expected_seen_and_elapsed(
            self, ansible, arc_sites, lone):
        site = arc_sites.site("primary")
        run = ansible.run(ansible.play([
            {"name": "dag", "arcdata.sqlmi.arc_dag": {
                "name": lone["dag"], "dag_name": lone["dag"], "local_instance": lone["mi"],
                "remote_instance": "fnowhere", "remote_mirroring_url": "tcp://127.20.0.1:9",  # nobody listens
                "remote_mirroring_cert": partner_certificate(), "role": "primary", "wait_condition": "connected",
                "wait_timeout": 2}}]))
        assert run.rc != 0, run
        result = run.result("dag", "primary")
        message = result["msg"]
        for fragment in (site.context, "timed out after", "failovergroups.sql.arcdata.microsoft.com %s/%s" % (
                site.namespace, lone["dag"]), "status.replicas[].connectedState", "'Succeeded' after this change",
                "CONNECTED", "last seen"):
            assert fragment in message, "%r is not in the message: %s" % (fragment, message)
        assert 2 <= result["elapsed"] < 30, result
        assert "s waiting for" in message and re.search(r"timed out after \d+\.\d s", message), message
        assert result["field"] and result["expected"] and result["seen"], result
        assert result["last_object"]["metadata"]["name"] == lone["dag"], result
        assert result["last_object"]["spec"]["partnerMirroringURL"] == "tcp://127.20.0.1:9", result

    def test_instance_change_without_controller_times_out_naming_field_expected_seen_and_elapsed(
            self, ansible, arc_sites, lone):
        site = arc_sites.site("primary")
        with controller_stopped(site):
            run = ansible.run(ansible.play([{"name": "update", "arcdata.sqlmi.arc_sqlmi": {
                "name": lone["mi"], "memory_request": "3Gi", "memory_limit": "3Gi", "wait_timeout": 1}}]))
        assert run.rc != 0, run
        result = run.result("update", "primary")
        message, last = result["msg"], result["last_object"]
        generation = last["metadata"]["generation"]  # the one the patch made, which the controller never saw
        for fragment in (site.context, "timed out after", "sqlmanagedinstances.sql.arcdata.microsoft.com %s/%s" % (
                site.namespace, lone["mi"]), "status.state", "'Ready' for generation %d" % generation, "last seen",
                "state='Ready'", "observedGeneration %d of %d" % (generation - 1, generation)):
            assert fragment in message, "%r is not in the message: %s" % (fragment, message)
        assert re.search(r"timed out after \d+\.\d s", message), message
        assert 1 <= result["elapsed"] < 30, result
        assert result["field"] == "status.state" and "Ready" in result["expected"], result
        assert last["metadata"]["name"] == lone["mi"], last
        assert last["spec"]["scheduling"]["default"]["resources"]["requests"]["memory"] == "3Gi", last
        assert last["status"]["observedGeneration"] == generation - 1, last
