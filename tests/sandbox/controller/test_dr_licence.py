"""The DR licence (spec.licenseType DisasterRecovery): an instance with it accepts no client connections
(dr-semantics.md §2.2, arc-api.md §5); the licence may be changed either way after creation and the
refusal follows the licence in force; a promoted DR instance keeps refusing until its licence is switched
(the `always` rule every profile takes; emulator-audit #8)."""
import uuid

import pytest

from sandbox.controller.behaviour import PROFILES
from sandbox.controller.engine.licence import client_refusal
from sandbox.sqlclient import SqlClient, SqlError

from .conftest import SQLMI, Instance, Pair, wait_for, wait_same_logs, watch_until
from .licence_support import open_to_clients, switch_licence

REFUSAL = ("licence type DisasterRecovery", "accepts no client connections", "BasePrice or LicenseIncluded")


@pytest.fixture
def dr_instance(arc):
    instance = Instance(arc.site("secondary"), f"drlic-{uuid.uuid4().hex[:6]}")
    instance.create("DisasterRecovery", tier="GeneralPurpose", replicas=1)
    instance.wait_ready()
    yield instance
    instance.api.delete_namespaced_custom_object("sql.arcdata.microsoft.com", SQLMI[1], instance.site.namespace,
                                                 SQLMI[0], instance.name)


def refusal_of(call):
    with pytest.raises(SqlError) as refused:
        call()
    for words in REFUSAL:
        assert words in str(refused.value), str(refused.value)
    return str(refused.value)


def assert_refuses_clients(instance):
    endpoints = instance.status()["endpoints"]
    for endpoint in (endpoints["primary"], endpoints["secondary"]):
        with SqlClient(endpoint) as sql:
            message = refusal_of(lambda s=sql: s.write("k", 1))
            assert instance.name in message
            refusal_of(lambda s=sql: s.read("k"))


def test_a_dr_instance_refuses_client_reads_and_writes_naming_its_licence(dr_instance):
    assert_refuses_clients(dr_instance)
    # what an operator reads inside the pod (the engine's statistics) still answers, and says why
    stats = dr_instance.stats()
    assert stats["licence_type"] == "DisasterRecovery"
    assert all(words in stats["clients_refused"] for words in REFUSAL)
    assert stats["committed_lsn"] == 0


def test_the_licence_changes_both_ways_without_an_error_and_the_refusal_follows_it(dr_instance):
    start = dr_instance.get()["metadata"]["resourceVersion"]
    ready = switch_licence(dr_instance, "BasePrice")
    assert ready["spec"]["licenseType"] == "BasePrice" and not ready["status"].get("message")
    with dr_instance.sql() as sql:
        lsn = sql.write("billed", "now")
        assert sql.read("billed") == (lsn, "now")
    switch_licence(dr_instance, "LicenseIncluded")
    with dr_instance.sql() as sql:
        assert sql.read("billed") == (lsn, "now")
    back = switch_licence(dr_instance, "DisasterRecovery")
    assert_refuses_clients(dr_instance)
    assert dr_instance.stats()["committed_lsn"] == lsn  # refused, not emptied
    # every generation went to Ready through Updating, never Error
    seen = watch_until(dr_instance.api, SQLMI[0], SQLMI[1], dr_instance.site.namespace, dr_instance.name, start,
                       lambda obj: obj["metadata"]["resourceVersion"] == back["metadata"]["resourceVersion"],
                       what="the last licence change")
    assert "Error" not in [(o.get("status") or {}).get("state") for o in seen]
    generation = back["metadata"]["generation"]
    assert {o["status"]["observedGeneration"] for o in seen if o["status"].get("state") == "Ready"} >= {
        generation - 2, generation - 1, generation}


def test_a_promoted_dr_instance_refuses_clients_until_its_licence_is_switched(arc):
    pair = Pair(arc).setup()
    pair.dags["primary"].set_role("secondary")  # planned failover: the DR instance becomes primary
    assert pair.dags["primary"].wait_settled(state="Succeeded")["role"] == "Secondary"
    new = pair.instances["secondary"]
    wait_for(lambda: new.stats()["role"] == "PRIMARY", what="the DR instance to be primary")
    assert_refuses_clients(new)
    # the documented step after a failover: the new primary's licence to BasePrice or LicenseIncluded
    open_to_clients(new)
    with new.sql() as sql:
        lsn = sql.write("on-the-promoted-dr-instance", 1)
    assert wait_same_logs(pair)[-1]["lsn"] == lsn


def test_every_profile_refuses_clients_of_a_dr_instance_whatever_its_role():
    assert {name: p.dr_licence_refuses_clients for name, p in PROFILES.items()} == {
        name: "always" for name in PROFILES}
    assert client_refusal("mi", "DisasterRecovery", "PRIMARY", "always")
    assert client_refusal("mi", "DisasterRecovery", "SECONDARY", "always")
    assert client_refusal("mi", "BasePrice", "SECONDARY", "always") is None


def test_the_while_secondary_rule_admits_clients_of_a_promoted_dr_instance():
    """No profile takes it (sources are silent); the switch is one edit away."""
    refused = client_refusal("mi", "DisasterRecovery", "SECONDARY", "while-secondary")
    assert "while it is a secondary" in refused and all(words in refused for words in REFUSAL)
    assert client_refusal("mi", "DisasterRecovery", "PRIMARY", "while-secondary") is None
    assert client_refusal("mi", "LicenseIncluded", "SECONDARY", "while-secondary") is None
    with pytest.raises(ValueError, match="dr_licence_refuses_clients"):
        client_refusal("mi", "DisasterRecovery", "PRIMARY", "sometimes")
