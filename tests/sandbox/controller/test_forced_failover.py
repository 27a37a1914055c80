"""Forced failover (`force-primary-allow-data-loss` on the DR side with the primary site dead), the
returning old primary that still believes it is primary (split brain), its rejoin with
`force-secondary`, and `force-secondary` on a healthy primary (reference/dr-semantics.md §1.7,
§5.4-5; arc-api.md §4.3)."""
import pytest

from sandbox.sqlclient import SqlError
from sandbox.workload import Workload

from .conftest import (Pair, missing_acknowledged, own_sandbox, wait_for, wait_partner_state, wait_same_logs,
                       write_many)
from .licence_support import open_to_clients

FORCED = "force-primary-allow-data-loss"
# the link streams 100 records/s, the workload writes 200/s: the DR side lags, as over a real WAN
SEEDING_RATE = 100


@pytest.fixture(scope="module")
def arc_alone(tmp_path_factory):
    """A sandbox of this module's own: its tests kill sites."""
    with own_sandbox(tmp_path_factory, "--seeding-rate", str(SEEDING_RATE)) as handle:
        yield handle


def test_forced_failover_split_brain_and_rejoin(arc_alone, record_property):
    pair = Pair(arc_alone).setup()
    old, new = pair.instances["primary"], pair.instances["secondary"]
    workload = Workload(old.status()["endpoints"]["primary"], rate=200, prefix="doomed").start()
    killed = False
    try:
        wait_for(lambda: len(workload.acknowledged) >= 200, what="200 acknowledged writes")
        arc_alone.kill("primary")  # a disaster, mid-workload
        killed = True
        workload.stop()
        acknowledged = workload.acknowledged

        pair.dags["secondary"].set_role(FORCED)
        status = pair.dags["secondary"].wait_settled(state="Succeeded")
        assert status["role"] == "Primary"
        assert status["healthState"] != "OK"  # the partner is unreachable
        stats = new.stats()
        assert stats["role"] == "PRIMARY"
        promotion_lsn = stats["epochs"][-1][1] - 1  # the new term starts right after the last hardened LSN
        assert stats["committed_lsn"] == promotion_lsn
        promoted_records = pair.records("secondary")

        # every acknowledged write up to the promotion point survived; the rest is the data loss
        assert not missing_acknowledged(promoted_records, [a for a in acknowledged if a[0] <= promotion_lsn])
        lost = [a for a in acknowledged if a[0] > promotion_lsn]
        record_property("acknowledged_writes", len(acknowledged))
        record_property("acknowledged_writes_lost", len(lost))
        print(f"forced failover: {len(acknowledged)} writes acknowledged, {len(lost)} of them lost "
              f"(promotion at LSN {promotion_lsn}, last acknowledged LSN {acknowledged[-1][0]})")
        assert len(lost) >= 0 and promotion_lsn <= acknowledged[-1][0]
        assert lost, "the DR side streams slower than the workload writes: some acknowledged writes must be lost"
        # the new primary's own estimate, from the partner's last report: a lower bound of the real loss
        assert stats["promoted_at_lsn"] == promotion_lsn
        estimate = stats["lost_at_promotion_at_least"]
        assert 0 < estimate <= len(lost), (estimate, len(lost))

        open_to_clients(new)  # the documented step after a failover: the DR licence goes
        after_promotion = write_many(new, 30, "new-primary")
        assert after_promotion[0] == promotion_lsn + 1
    finally:
        workload.stop()
        if killed:
            arc_alone.start("primary")

    # the old primary returns believing it is primary: two primaries, and it says so
    def split_brain():
        status = pair.dags["primary"].status()
        return status.get("role") == "Primary" and "another primary" in status.get("results", "") and status
    status = wait_for(split_brain, what="the returning old primary to report another primary")
    assert status["healthState"] != "OK"
    old_records = pair.records("primary")
    assert len(old_records) >= acknowledged[-1][0]
    assert not missing_acknowledged(old_records, acknowledged), "the old primary hardened what it acknowledged"
    # the new primary holds exactly a prefix of the old primary's log
    assert promoted_records == old_records[:promotion_lsn]

    # split brain: the old primary still takes writes, and counts them
    split = write_many(old, 7, "split-brain")
    old_stats = old.stats()
    assert old_stats["split_brain_writes"] == 7 and old_stats["role"] == "PRIMARY"
    divergent = old_stats["committed_lsn"] - promotion_lsn
    assert divergent == len(old_records) + len(split) - promotion_lsn
    assert divergent >= len(lost) + len(split)

    # rejoin: force-secondary discards exactly the divergent transactions and catches up
    pair.dags["primary"].set_role("force-secondary")
    status = pair.dags["primary"].wait_settled(state="Succeeded")
    assert status["role"] == "Secondary"
    records = wait_same_logs(pair)
    assert records[:promotion_lsn] == promoted_records and [r["lsn"] for r in records[promotion_lsn:]] == \
        after_promotion
    old_stats = old.stats()
    assert old_stats["last_discarded"] == divergent
    assert old_stats["discarded_on_rejoin"] == divergent
    assert old_stats["role"] == "SECONDARY"
    for side in pair.dags:
        wait_partner_state(pair.dags[side], "CONNECTED")
    wait_for(lambda: pair.dags["secondary"].status().get("healthState") == "OK", what="the new primary healthy")
    assert pair.roles() == {"primary": "Secondary", "secondary": "Primary"}
    with old.sql() as sql:
        with pytest.raises(SqlError, match="SECONDARY"):
            sql.write("after-rejoin", 1)
        assert sql.read("split-brain-0") is None
    with new.sql() as sql:
        lsn = sql.write("after-rejoin", 1)
    assert wait_same_logs(pair)[-1]["lsn"] == lsn


def test_force_secondary_on_a_healthy_primary_demotes_it_and_the_partner_takes_over(arc_alone):
    pair = Pair(arc_alone).setup()
    lsns = write_many(pair.instances["primary"], 50, "before")
    wait_same_logs(pair)
    pair.dags["primary"].set_role("force-secondary")
    status = pair.dags["primary"].wait_settled(state="Succeeded", timeout=5)
    assert status["role"] == "Secondary"
    wait_for(lambda: pair.dags["secondary"].spec()["role"] == FORCED, what="the partner's spec.role rewritten")
    assert pair.dags["secondary"].wait_settled(state="Succeeded")["role"] == "Primary"
    for side in pair.dags:
        wait_partner_state(pair.dags[side], "CONNECTED")
    open_to_clients(pair.instances["secondary"])  # the documented step after a failover: the DR licence goes
    with pair.instances["secondary"].sql() as sql:
        lsn = sql.write("on-new-primary", 1)
    assert lsn == lsns[-1] + 1
    assert wait_same_logs(pair)[-1]["lsn"] == lsn
    assert pair.instances["primary"].stats()["last_discarded"] == 0


@pytest.mark.parametrize("sandbox_name", ["arc", "arc_alone"], ids=["caught-up partner", "lagging partner"])
def test_force_secondary_under_load_leaves_one_log_and_counts_what_it_discarded(sandbox_name, request):
    """Demoting without waiting may drop the writes the partner had not received yet (it is forced),
    but never silently: the logs converge and the demoted side counts exactly what it discarded. A
    write in flight as the primary is demoted lands in its log after it told the partner its tip."""
    pair = Pair(request.getfixturevalue(sandbox_name)).setup()
    workload = Workload(pair.instances["primary"].status()["endpoints"]["primary"], rate=200).start()
    try:
        wait_for(lambda: len(workload.acknowledged) >= 150, what="150 acknowledged writes")
        pair.dags["primary"].set_role("force-secondary")
        assert pair.dags["primary"].wait_settled(state="Succeeded")["role"] == "Secondary"
        wait_for(lambda: len(workload.refused) >= 5, what="the demoted primary to refuse writes")
    finally:
        workload.stop()
    # the partner promotes itself on the demoted side's request and says so in its own spec.role: until then its
    # previous generation, settled as Secondary, is what wait_settled would find (a race on a loaded machine)
    wait_for(lambda: pair.dags["secondary"].spec()["role"] == FORCED,
             what="the secondary side's spec.role rewritten by its promotion")
    assert pair.dags["secondary"].wait_settled(state="Succeeded")["role"] == "Primary"
    for side in pair.dags:
        wait_partner_state(pair.dags[side], "CONNECTED")
    promotion_lsn = pair.instances["secondary"].stats()["epochs"][-1][1] - 1
    acknowledged_tip = workload.acknowledged[-1][0]
    records = wait_same_logs(pair)
    lost = missing_acknowledged(records, workload.acknowledged)
    assert all(lsn > promotion_lsn for lsn, dummy in lost)
    discarded = pair.instances["primary"].stats()["last_discarded"]
    assert discarded >= len(lost) and discarded == max(0, acknowledged_tip - promotion_lsn), (discarded, lost)
    open_to_clients(pair.instances["secondary"])  # the documented step after a failover: the DR licence goes
    with pair.instances["secondary"].sql() as sql:
        lsn = sql.write("on-new-primary", 1)
    assert lsn == promotion_lsn + 1 and wait_same_logs(pair)[-1]["lsn"] == lsn
