"""Planned failover (`spec.role: secondary` on the current primary) under a continuous workload, the
failback, and a planned failover that cannot complete (reference/dr-semantics.md §1.6, §2.4, §5.3-4,
§5.7; arc-api.md §4.3)."""
import time

import pytest

from sandbox.sqlclient import SqlError
from sandbox.workload import Workload

from .conftest import (Pair, missing_acknowledged, partitioned, wait_for, wait_partner_state, wait_same_logs,
                       write_many)
from .licence_support import open_to_clients

FORCED = "force-primary-allow-data-loss"
FAILOVER_TIMEOUT = 8.0  # conftest TIMINGS
# the sites poll the partition flag every 0.1 s, and nothing observable changes before the session
# timeout (2 s): a few polls make sure both sites see the cut, well within the session
PARTITION_NOTICED = 0.3


def switch_under_workload(pair, old, rate=100.0):
    """Planned failover from side `old` while a workload writes to it; returns the workload."""
    new = pair.other(old)
    workload = Workload(pair.instances[old].status()["endpoints"]["primary"], rate=rate, prefix=f"to-{new}").start()
    try:
        wait_for(lambda: len(workload.acknowledged) >= 50, what="the workload to be acknowledged 50 writes")
        pair.dags[old].set_role("secondary")
        settled = pair.dags[old].wait_settled(timeout=20)
        assert settled["state"] == "Succeeded", settled
        # the writes the old primary refuses now show the switch has happened
        wait_for(lambda: len(workload.refused) >= 5, what="the old primary to refuse the workload's writes")
    finally:
        workload.stop()
    assert not workload.errors, workload.errors[:3]
    return workload


def check_switched(pair, old, workload):
    new = pair.other(old)
    # the partner's controller rewrote its own role, then settled that generation
    wait_for(lambda: pair.dags[new].spec()["role"] == FORCED, what=f"the {new} side's spec.role rewritten")
    new_status = pair.dags[new].wait_settled(state="Succeeded")
    assert new_status["role"] == "Primary"
    assert pair.dags[old].status()["role"] == "Secondary"
    for side in (old, new):
        wait_partner_state(pair.dags[side], "CONNECTED")
    records = wait_same_logs(pair)
    lost = missing_acknowledged(records, workload.acknowledged)
    assert not lost, f"{len(lost)} acknowledged writes missing on the new primary, e.g. {lost[:5]}"
    assert all("SECONDARY" in refusal or "failover" in refusal for refusal in workload.refused), workload.refused[:3]
    with pair.instances[old].sql() as sql:
        with pytest.raises(SqlError, match="SECONDARY"):
            sql.write("after-switch", 1)
    return records


def test_planned_failover_under_load_loses_nothing_and_fails_back(arc):
    pair = Pair(arc).setup()
    generation = pair.dags["secondary"].get()["metadata"]["generation"]
    workload = switch_under_workload(pair, "primary")
    records = check_switched(pair, "primary", workload)
    assert pair.dags["secondary"].get()["metadata"]["generation"] == generation + 1
    assert pair.dags["primary"].spec()["role"] == "secondary"
    assert records[-1]["lsn"] == workload.acknowledged[-1][0], "the log ends with the last acknowledged write"
    new_stats = pair.instances["secondary"].stats()
    assert new_stats["role"] == "PRIMARY" and pair.instances["primary"].stats()["role"] == "SECONDARY"
    assert new_stats["link"]["sync_effective"] is False, "the switch's synchronous mode ends with it (spec: async)"
    open_to_clients(pair.instances["secondary"])  # the documented step after a failover: the DR licence goes

    # the new primary takes writes, and they replicate to the old one
    lsns = write_many(pair.instances["secondary"], 20, "on-new-primary")
    assert lsns[0] == records[-1]["lsn"] + 1
    assert wait_same_logs(pair)[-1]["lsn"] == lsns[-1]

    # failback: the same on the new primary returns the roles, again without loss
    back = switch_under_workload(pair, "secondary")
    check_switched(pair, "secondary", back)
    assert pair.roles() == {"primary": "Primary", "secondary": "Secondary"}
    assert pair.dags["primary"].spec()["role"] == FORCED
    with pair.instances["primary"].sql() as sql:
        lsn = sql.write("after-failback", 1)
    assert wait_same_logs(pair)[-1]["lsn"] == lsn


def test_a_planned_failover_of_a_sync_pair_keeps_sync_commit_on_the_new_primary(arc):
    pair = Pair(arc).setup(sync_mode="sync")
    workload = switch_under_workload(pair, "primary")
    check_switched(pair, "primary", workload)
    open_to_clients(pair.instances["secondary"])  # the documented step after a failover: the DR licence goes
    with pair.instances["secondary"].sql() as sql:
        assert sql.stats()["link"]["sync_effective"] is True
        lsn = sql.write("sync-on-new-primary", 1)
        assert sql.stats()["partner_hardened_lsn"] >= lsn
    for side in pair.dags:
        assert {r["availabilityMode"] for r in pair.dags[side].status()["replicas"]} == {"SYNCHRONOUS_COMMIT"}


def test_a_planned_failover_the_partner_cannot_catch_up_with_is_abandoned(arc):
    pair = Pair(arc).setup()
    write_many(pair.instances["primary"], 10, "before")
    with partitioned(arc):
        time.sleep(PARTITION_NOTICED)
        # committed (async) but never hardened by the partner: the switch cannot be made without loss
        unsent = write_many(pair.instances["primary"], 10, "unsent")
        pair.dags["primary"].set_role("secondary")
        status = pair.dags["primary"].wait_settled(timeout=FAILOVER_TIMEOUT + 10)
        assert status["state"] == "Failed", status
        assert "abandoned" in status["results"] and pair.instances["secondary"].name in status["results"], status
        assert status["role"] == "Primary"
        stats = pair.instances["primary"].stats()
        assert stats["role"] == "PRIMARY" and not stats["writes_blocked"]
        with pair.instances["primary"].sql() as sql:
            during = sql.write("accepted-again", 1)
        assert during == unsent[-1] + 1
        assert pair.dags["secondary"].status()["role"] == "Secondary"
        assert pair.dags["secondary"].spec()["role"] == "secondary"
    # healed: the pair is whole again, the secondary catches up, nothing lost
    for side in pair.dags:
        wait_partner_state(pair.dags[side], "CONNECTED")
    assert wait_same_logs(pair)[-1]["lsn"] == during
    assert pair.roles() == {"primary": "Primary", "secondary": "Secondary"}


def test_a_switch_the_controller_abandoned_can_be_withdrawn_and_asked_for_again(arc):
    """After an abandoned switch spec.role says 'secondary' on a site still Primary, and an unchanged spec is not
    acted on again: writing 'primary' back withdraws the request (nothing changes on the engine), and a new
    'secondary' then carries out the switch."""
    pair = Pair(arc).setup()
    with partitioned(arc):
        time.sleep(PARTITION_NOTICED)
        pair.dags["primary"].set_role("secondary")
        assert pair.dags["primary"].wait_settled(timeout=FAILOVER_TIMEOUT + 10)["state"] == "Failed"
    # the cut was shorter than the session timeout, so the link never showed DISCONNECTED: nothing observable
    # says the sites have noticed the heal, and a switch asked before they do is abandoned (the request cannot
    # leave). The same few polls as at the cut make sure they have.
    time.sleep(PARTITION_NOTICED)
    for side in pair.dags:
        wait_partner_state(pair.dags[side], "CONNECTED")
    wait_same_logs(pair)
    pair.dags["primary"].set_role("primary")
    withdrawn = pair.dags["primary"].wait_settled()
    assert (withdrawn["state"], withdrawn["role"]) == ("Succeeded", "Primary"), withdrawn
    assert pair.instances["primary"].stats()["role"] == "PRIMARY"
    pair.dags["primary"].set_role("secondary")
    switched = pair.dags["primary"].wait_settled()
    assert switched["state"] == "Succeeded", switched
    wait_for(lambda: pair.roles() == {"primary": "Secondary", "secondary": "Primary"}, what="the switch")


def test_primary_is_still_refused_on_update_where_the_switch_happened(arc):
    pair = Pair(arc).setup()
    pair.dags["primary"].set_role("secondary")
    assert pair.dags["primary"].wait_settled()["state"] == "Succeeded"
    pair.dags["primary"].set_role("primary")
    refused = pair.dags["primary"].wait_settled()
    assert refused["state"] == "Failed" and "only accepted at creation" in refused["results"], refused
    assert pair.instances["primary"].stats()["role"] == "SECONDARY"


def test_a_planned_failover_whose_partner_cannot_be_told_to_take_over_is_undone(arc):
    """The partner hardened everything, but the link is cut before it hears it must take over: the old
    primary must not stay demoted (nobody would take writes, even after the link heals)."""
    pair = Pair(arc).setup()
    lsns = write_many(pair.instances["primary"], 10, "before")
    wait_same_logs(pair)
    with partitioned(arc):
        time.sleep(PARTITION_NOTICED)
        pair.dags["primary"].set_role("secondary")
        status = pair.dags["primary"].wait_settled(timeout=FAILOVER_TIMEOUT + 10)
        assert status["state"] == "Failed" and "abandoned" in status["results"], status
        assert status["role"] == "Primary"
        with pair.instances["primary"].sql() as sql:
            during = sql.write("accepted-again", 1)
        assert during == lsns[-1] + 1
        assert pair.instances["secondary"].stats()["role"] == "SECONDARY"
    for side in pair.dags:
        wait_partner_state(pair.dags[side], "CONNECTED")
    assert wait_same_logs(pair)[-1]["lsn"] == during
    assert pair.roles() == {"primary": "Primary", "secondary": "Secondary"}
