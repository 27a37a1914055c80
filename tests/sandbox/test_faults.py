"""Fault injection: what a client sees when a site's API misbehaves on purpose, and what the audit
log records about it. Rules are scoped to ConfigMaps in the site's namespace so that nothing else
using the shared sandbox trips over them, and every test clears them when it ends.
"""
import json
import time

import pytest
import requests

from .conftest import run_cli

RATE = 0.3
REQUESTS = 200


class Raw:
    """Plain HTTPS to a site's API, so the test sees exactly what the server sent (no client retries)."""

    def __init__(self, site):
        self.site = site
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {site.token}"

    def request(self, method, path, fresh_connection=False, **kwargs):
        sender = requests if fresh_connection else self.session
        headers = {**self.session.headers, **kwargs.pop("headers", {})}
        # verify per request: a session's `verify` loses against REQUESTS_CA_BUNDLE in the environment
        return sender.request(method, self.site.api_url + path, headers=headers, verify=str(self.site.files.ca_cert),
                              timeout=30, **kwargs)


@pytest.fixture
def faults(primary):
    ops = primary.ops()
    ops.clear_faults()
    yield ops
    ops.clear_faults()


@pytest.fixture
def raw(primary):
    return Raw(primary)


@pytest.fixture
def configmaps(primary):
    return f"/api/v1/namespaces/{primary.namespace}/configmaps"


@pytest.fixture
def configmap(primary, raw, configmaps, unique_name):
    name = unique_name("cm")
    created = raw.request("POST", configmaps, json={"metadata": {"name": name}, "data": {"k": "v"}})
    assert created.status_code == 201, created.text
    return name


def rule(primary, **fields):
    return {"verb": "get", "resource": "configmaps", "namespace": primary.namespace, **fields}


def entries_for(site, mark, verb, name=None, path=None):
    return [e for e in site.audit_since(mark) if e["verb"] == verb and e["resource"] == "configmaps"
            and (name is None or e["name"] == name) and (path is None or e["path"] == path)]


def assert_status_body(response, code, reason):
    body = response.json()
    assert (body["kind"], body["apiVersion"], body["status"]) == ("Status", "v1", "Failure")
    assert (body["code"], body["reason"]) == (code, reason)
    assert body["message"]


def test_error_rate_is_about_the_configured_rate_and_audited(primary, faults, raw, configmaps, configmap):
    faults.set_faults([rule(primary, code=503, rate=RATE)])
    mark = primary.audit_mark()

    responses = [raw.request("GET", f"{configmaps}/{configmap}") for dummy in range(REQUESTS)]

    codes = [r.status_code for r in responses]
    assert set(codes) == {200, 503}
    failed = [r for r in responses if r.status_code == 503]
    # binomial(200, 0.3): mean 60, standard deviation 6.5; the band is more than 3.5 deviations wide
    assert 0.18 <= len(failed) / REQUESTS <= 0.42, len(failed)
    for response in failed:
        assert int(response.headers["Retry-After"]) >= 1
        assert_status_body(response, 503, "ServiceUnavailable")
    audited = entries_for(primary, mark, "get", name=configmap)
    assert [e["code"] for e in audited] == codes
    assert all(("fault" in e) == (e["code"] == 503) for e in audited)


def test_too_many_requests_carries_retry_after(primary, faults, raw, configmaps, configmap):
    faults.set_faults([rule(primary, code=429, retry_after=7)])

    response = raw.request("GET", f"{configmaps}/{configmap}")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert_status_body(response, 429, "TooManyRequests")


def test_latency_delays_the_answer(primary, faults, raw, configmaps, configmap):
    latency_ms = 300
    faults.set_faults([rule(primary, latency_ms=latency_ms)])
    mark = primary.audit_mark()

    started = time.monotonic()
    response = raw.request("GET", f"{configmaps}/{configmap}")
    elapsed = time.monotonic() - started

    assert response.status_code == 200 and response.json()["data"] == {"k": "v"}
    assert elapsed >= latency_ms / 1000
    [entry] = entries_for(primary, mark, "get", name=configmap)
    assert entry["code"] == 200 and entry["duration_ms"] >= latency_ms


def test_drop_after_a_create_loses_the_answer_but_not_the_write(primary, faults, raw, configmaps, unique_name):
    name = unique_name("cm")
    faults.set_faults([rule(primary, verb="create", drop="after")])
    mark = primary.audit_mark()

    with pytest.raises(requests.exceptions.ConnectionError):
        raw.request("POST", configmaps, fresh_connection=True,
                    json={"metadata": {"name": name}, "data": {"written": "yes"}})

    faults.clear_faults()
    stored = raw.request("GET", f"{configmaps}/{name}")
    assert stored.status_code == 200 and stored.json()["data"] == {"written": "yes"}
    [entry] = entries_for(primary, mark, "create", path=configmaps)
    assert entry["fault"]["drop"] == "after"
    # a client that retries the create now learns that its first attempt happened
    retried = raw.request("POST", configmaps, json={"metadata": {"name": name}, "data": {"written": "yes"}})
    assert retried.status_code == 409 and retried.json()["reason"] == "AlreadyExists"


def test_drop_before_a_create_stores_nothing(primary, faults, raw, configmaps, unique_name):
    name = unique_name("cm")
    faults.set_faults([rule(primary, verb="create", drop="before")])
    mark = primary.audit_mark()

    with pytest.raises(requests.exceptions.ConnectionError):
        raw.request("POST", configmaps, fresh_connection=True, json={"metadata": {"name": name}})

    faults.clear_faults()
    assert raw.request("GET", f"{configmaps}/{name}").status_code == 404
    listed = raw.request("GET", configmaps).json()["items"]
    assert name not in [item["metadata"]["name"] for item in listed]
    [entry] = entries_for(primary, mark, "create", path=configmaps)
    assert entry["fault"]["drop"] == "before"


def test_clearing_faults_restores_normal_answers(primary, faults, raw, configmaps, configmap):
    faults.set_faults([rule(primary, code=500)])
    assert raw.request("GET", f"{configmaps}/{configmap}").status_code == 500

    assert faults.clear_faults() == []

    responses = [raw.request("GET", f"{configmaps}/{configmap}") for dummy in range(5)]
    assert [r.status_code for r in responses] == [200] * 5


def test_cli_adds_a_counted_fault_and_clears_it(sandbox, primary, faults, raw, configmaps, configmap):
    added = run_cli(sandbox.runtime_dir, "fault", "--site", "primary", "--verb", "get", "--resource", "configmaps",
                    "--code", "503", "--rate", "1", "--count", "2")

    [described] = json.loads(added.stdout)
    assert described == {"verb": "get", "resource": "configmaps", "code": 503, "rate": 1.0, "count": 2}
    codes = [raw.request("GET", f"{configmaps}/{configmap}").status_code for dummy in range(3)]
    assert codes == [503, 503, 200]

    cleared = run_cli(sandbox.runtime_dir, "fault", "--site", "primary", "--clear")

    assert json.loads(cleared.stdout) == []
    assert faults.faults() == []
    faults.set_faults([rule(primary, code=503)])  # the CLI clears what the ops API set, too
    run_cli(sandbox.runtime_dir, "fault", "--site", "primary", "--clear")
    assert raw.request("GET", f"{configmaps}/{configmap}").status_code == 200


def test_a_rule_with_a_user_agent_faults_only_that_client(primary, faults, raw, configmaps, configmap):
    faults.set_faults([rule(primary, code=503, user_agent="arcdata.sqlmi/")])
    ours = raw.request("GET", f"{configmaps}/{configmap}", headers={"User-Agent": "arcdata.sqlmi/1.0.0"})
    theirs = raw.request("GET", f"{configmaps}/{configmap}", headers={"User-Agent": "kubectl/v1.32.0"})
    assert (ours.status_code, theirs.status_code) == (503, 200)


def test_jitter_adds_a_random_share_on_top_of_the_latency(primary, faults, raw, configmaps, configmap):
    faults.set_faults([rule(primary, latency_ms=100, latency_jitter_ms=400)])
    mark = primary.audit_mark()

    codes = [raw.request("GET", f"{configmaps}/{configmap}").status_code for dummy in range(8)]

    assert codes == [200] * 8
    durations = [e["duration_ms"] for e in entries_for(primary, mark, "get", name=configmap)]
    assert len(durations) == 8 and min(durations) >= 100
    assert len({round(d, -1) for d in durations}) > 1  # drawn per request, not one fixed delay


@pytest.mark.parametrize("code", [429, 503])
def test_a_long_retry_after_is_sent_as_given(primary, faults, raw, configmaps, configmap, code):
    faults.set_faults([rule(primary, code=code, retry_after=5, count=1)])

    first = raw.request("GET", f"{configmaps}/{configmap}")
    second = raw.request("GET", f"{configmaps}/{configmap}")

    assert (first.status_code, first.headers["Retry-After"]) == (code, "5")
    assert second.status_code == 200


def test_cli_preset_slow_api_faults_only_the_collection(sandbox, primary, faults):
    added = run_cli(sandbox.runtime_dir, "fault", "--site", "primary", "--preset", "slow-api")

    [described] = json.loads(added.stdout)
    assert described == {"verb": "*", "resource": "*", "user_agent": "arcdata.sqlmi/", "latency_ms": 1000,
                         "latency_jitter_ms": 1000}
