"""Broken watches: open watches cut mid-stream (a restarted API server or load balancer), and a resumed watch
told its resourceVersion expired (a compacted etcd), each recorded in the audit log."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import time

import pytest
import requests

from sandbox.supervisor import SandboxError

from .conftest import run_cli

OURS = "arcdata.sqlmi/1.0.0 (test)"
THEIRS = "arc-controller-emulator/0.1"


@pytest.fixture
def ops(primary):
    site_ops = primary.ops()
    site_ops.clear_faults()
    yield site_ops
    site_ops.clear_faults()


def watch(site, resource, user_agent, resource_version=""):
    """A raw watch of `resource` in the site's namespace; the response streams its events line by line."""
    path = f"{site.api_url}/api/v1/namespaces/{site.namespace}/{resource}"
    params = {"watch": "true", "timeoutSeconds": "60"}
    if resource_version:
        params["resourceVersion"] = resource_version
    return requests.get(path, params=params, stream=True, timeout=30, verify=str(site.files.ca_cert),
                        headers={"Authorization": f"Bearer {site.token}", "User-Agent": user_agent})


def wait_open(ops, count):
    deadline = time.monotonic() + 10
    while len(ops.open_watches()) < count:
        assert time.monotonic() < deadline, ops.open_watches()
        time.sleep(0.05)


def current_version(site):
    return site.core().list_namespaced_config_map(site.namespace).metadata.resource_version


def test_cut_resets_the_watches_of_one_client_and_is_audited(primary, ops):
    mark = primary.audit_mark()
    ours, theirs = watch(primary, "configmaps", OURS), watch(primary, "configmaps", THEIRS)
    try:
        wait_open(ops, 2)

        cut = ops.cut_watches(user_agent="arcdata.sqlmi/")

        assert cut == [{"resource": "configmaps", "namespace": primary.namespace, "user_agent": OURS}]
        with pytest.raises(requests.exceptions.RequestException):
            for _line in ours.iter_lines():
                pass
        assert [w["user_agent"] for w in ops.open_watches()] == [THEIRS]
    finally:
        ours.close()
        theirs.close()
    deadline = time.monotonic() + 10
    while not [e for e in primary.audit_since(mark) if e.get("fault") == {"watch": "cut"}]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    [entry] = [e for e in primary.audit_since(mark) if e.get("fault") == {"watch": "cut"}]
    assert (entry["verb"], entry["resource"], entry["user_agent"]) == ("watch", "configmaps", OURS)


def test_cut_of_one_resource_leaves_the_others(primary, ops):
    configmaps, secrets = watch(primary, "configmaps", OURS), watch(primary, "secrets", OURS)
    try:
        wait_open(ops, 2)

        cut = run_cli(primary.runtime_dir, "cut-watches", "--site", "primary", "--resource", "secrets")

        assert [w["resource"] for w in json.loads(cut.stdout)] == ["secrets"]
        assert [w["resource"] for w in ops.open_watches()] == ["configmaps"]
    finally:
        configmaps.close()
        secrets.close()


def test_expire_rule_answers_410_to_the_next_resumed_watch_only(primary, ops):
    ops.set_faults([{"verb": "watch", "resource": "configmaps", "watch": "expire", "count": 1,
                     "user_agent": "arcdata.sqlmi/"}])
    version = current_version(primary)
    mark = primary.audit_mark()

    fresh = watch(primary, "configmaps", OURS)  # from the current state: nothing to expire, not counted
    resumed = watch(primary, "configmaps", OURS, version)
    again = None
    try:
        event = json.loads(next(resumed.iter_lines()))
        assert event["type"] == "ERROR"
        assert (event["object"]["code"], event["object"]["reason"]) == (410, "Expired")
        again = watch(primary, "configmaps", OURS, version)  # the rule's count is spent: a normal watch
        wait_open(ops, 2)
        assert {w["user_agent"] for w in ops.open_watches()} == {OURS}
    finally:
        for response in (fresh, resumed, again):
            if response is not None:
                response.close()
    ops.clear_faults()
    faulted = [e for e in primary.audit_since(mark) if e["verb"] == "watch" and e.get("fault")]
    assert [e["fault"]["watch"] for e in faulted] == ["expire"]


def test_a_watch_rule_cannot_also_answer_with_a_code(ops):
    with pytest.raises(SandboxError) as refused:
        ops.set_faults([{"verb": "watch", "watch": "expire", "code": 503}])
    assert "400 a watch rule neither answers with a code nor drops the connection" in str(refused.value)
    assert ops.faults() == []
