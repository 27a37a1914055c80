"""Kubeconfigs as Arc-enabled clusters hand them out (issue 15 item 6): AKS, EKS, GKE and OpenShift give a user whose
credential is an exec plugin (kubelogin for Microsoft Entra, `aws eks get-token`, ...) printing a short-lived token.
Here the sandbox's stand-in plugin (`python -m sandbox exec-credential`, from `python -m sandbox kubeconfig --exec`)
issues tokens valid 5 seconds, while an instance takes longer than that to become Ready: the DR set-up (arc_sqlmi
create and wait, arc_mirroring_cert, preflight reads with arc_site_info and arc_sqlmi_info, arc_dag on both sites),
a planned failover (arc_failover) and the _info modules run with only that credential, and must succeed because the
client runs the plugin again for a fresh token instead of sending an expired one; no token shows in their -vvv output.
"""
import re
from pathlib import Path

import pytest

from tests.sandbox.conftest import SandboxHandle, run_cli

from .conftest import HOSTS, Ansible
from .dr_playbooks import PlaybookPairs, audit_marks, collection_since, roles

# a variant of the kubeconfig the sites are reached with: make test-extended runs it
pytestmark = pytest.mark.extended
TOKEN_SECONDS = 5
# as the integration suite's timings, except that a new or changed instance takes longer to become Ready than a token
# lasts: the arc_sqlmi wait's watch outlives the token it was opened with
TIMINGS = ("--ready-delay", "8", "--session-timeout", "2", "--connect-timeout", "3", "--failover-timeout", "8")
OPERATOR = "system:serviceaccount:arc:arcdata-sqlmi-operator"
JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
READ_BOTH_SITES = "Read the site and its instance"
# what the runs must have used: every read, and the Kubernetes-side writes of an indirect-mode pair
MODULES = {f"arcdata.sqlmi.{name}" for name in ("arc_sqlmi", "arc_mirroring_cert", "arc_site_info", "arc_sqlmi_info",
                                                "arc_dag", "arc_dag_info", "arc_failover")}


@pytest.fixture(scope="module")
def exec_sites(tmp_path_factory):
    runtime_dir = tmp_path_factory.mktemp("exec-kubeconfig")
    run_cli(runtime_dir, "up", "--api-port", "0", *TIMINGS)
    try:
        yield SandboxHandle(runtime_dir)
    finally:
        run_cli(runtime_dir, "down", check=False)


def _exec_kubeconfigs(sites, directory):
    """Per site: (kubeconfig path, context) of the collection's operator credential through the exec plugin."""
    found = {}
    for site in HOSTS:
        path = Path(directory) / f"{site}-exec.kubeconfig"
        run_cli(sites.runtime_dir, "kubeconfig", "--site", site, "--exec", "--ttl", str(TOKEN_SECONDS),
                "--output", str(path))
        found[site] = (str(path), f"arc-{site}-operator-exec")
    return found


def _ready_since(site, instance):
    """When the site's controller reported the instance Ready (its first Ready Event), in seconds since the epoch,
    rounded down to the second as Events carry it."""
    events = site.core().list_namespaced_event(site.namespace).items
    times = [event.first_timestamp.timestamp() for event in events
             if event.reason == "Ready" and event.involved_object.name == instance]
    assert times, f"no Ready Event of {instance} on {site.name}"
    return min(times)


def _assert_tokens_refreshed(requests, instance_ready):
    """Every request of the collection signed in through the plugin as the operator, and none was refused. The
    instance's wait outlived the token the instance was created with (that token had expired when the instance
    became Ready), and more tokens came after it."""
    assert requests, "the collection sent no request"
    assert [e for e in requests if e["code"] == 401] == []
    assert {(e["user"], "credential" in e) for e in requests} == {(OPERATOR, True)}
    created = [e for e in requests if (e["verb"], e["resource"]) == ("create", "sqlmanagedinstances")]
    assert len(created) == 1, created
    assert created[0]["credential"]["expires"] < instance_ready, "the instance was Ready before its token expired"
    later = {e["credential"]["id"] for e in requests if e["ts"] > instance_ready}
    assert len(later) > 1, "no fresh tokens after the first one expired"


def _assert_no_token_shown(runs, sites):
    """No JWT (the plugin's tokens are the only ones in these runs) nor signing key in anything a run shows."""
    keys = [sites.site(site).files.token_signing_key.read_text().strip() for site in HOSTS]
    for name, run in runs:
        texts = [run.stdout, run.stderr] + [repr(task["result"]) for task in run.tasks]
        for text in texts:
            assert not JWT.search(text), f"{name}: a token shows in its output"
            assert not any(key in text for key in keys), f"{name}: a signing key shows in its output"


def test_the_dr_playbooks_and_info_modules_run_on_exec_plugin_kubeconfigs(exec_sites, tmp_path):
    pairs = PlaybookPairs(exec_sites, tmp_path)
    ansible = Ansible(exec_sites, tmp_path)
    pair = pairs.new("exec")
    for site, (kubeconfig, context) in _exec_kubeconfigs(exec_sites, tmp_path).items():
        pair.host_vars[site].update(arc_kubeconfig=kubeconfig, arc_context=context)
    inventory = pairs.inventory(pair)
    marks = audit_marks(exec_sites)

    setup = ansible.run("arcdata.sqlmi.dr_setup", inventory=inventory, verbosity=3)
    assert setup.rc == 0, setup
    assert roles(exec_sites, pair) == {"primary": "Primary", "secondary": "Secondary"}
    failover = ansible.run("arcdata.sqlmi.failover_planned", inventory=inventory, verbosity=3)
    assert failover.rc == 0, failover
    assert roles(exec_sites, pair) == {"primary": "Secondary", "secondary": "Primary"}
    reads = ansible.run(ansible.play([
        {"name": READ_BOTH_SITES, "arcdata.sqlmi.arc_site_info": {
            "instance": "{{ arc_instance }}", "dag_resource": "{{ arc_dag_resource }}"}, "register": "site"},
        {"name": "Read the instance", "arcdata.sqlmi.arc_sqlmi_info": {"name": "{{ arc_instance }}"}},
    ], hosts=pair.group), inventory=inventory, verbosity=3)
    assert reads.rc == 0, reads
    assert {task["host"] for task in reads.results(READ_BOTH_SITES)} == set(HOSTS)

    runs = (("dr_setup", setup), ("failover_planned", failover), ("reads", reads))
    ran = {task["action"] for dummy, run in runs for task in run.tasks if task["outcome"] != "skipped"}
    assert MODULES <= ran, f"not run: {sorted(MODULES - ran)}"
    requests = collection_since(exec_sites, marks)
    for site in HOSTS:
        _assert_tokens_refreshed(requests[site], _ready_since(exec_sites.site(site), pair.instances[site]))
    _assert_no_token_shown(runs, exec_sites)
