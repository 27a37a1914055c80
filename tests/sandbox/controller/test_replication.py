"""Replication over the mirroring link: async streaming, the read-only secondary, synchronous commit
(and what a partition does to it), and seeding of a new DR instance (reference/dr-semantics.md
§1.5, §5.2)."""
import time

import pytest

from sandbox.sqlclient import SqlError

from .conftest import Pair, partitioned, wait_for, wait_partner_state, wait_same_logs, write_many
from .licence_support import open_to_clients

SESSION_TIMEOUT = 2.0  # conftest TIMINGS


def test_1000_async_writes_arrive_on_the_secondary_in_order(pair):
    lsns = write_many(pair.instances["primary"], 1000, "async")
    assert lsns == sorted(lsns) and len(set(lsns)) == 1000
    records = wait_same_logs(pair)
    assert [r["lsn"] for r in records] == list(range(1, len(records) + 1))
    by_lsn = {r["lsn"]: r for r in records}
    assert [(by_lsn[lsn]["key"], by_lsn[lsn]["value"]) for lsn in lsns] == [
        (f"async-{number}", number) for number in range(1000)]
    assert pair.instances["secondary"].stats()["committed_lsn"] == lsns[-1]


def test_the_secondary_refuses_writes(pair):
    with pair.instances["secondary"].sql() as sql:
        with pytest.raises(SqlError, match="licence type DisasterRecovery"):
            sql.write("nope", 1)  # a DR instance takes no client at all (test_dr_licence.py)
    open_to_clients(pair.instances["secondary"])
    with pair.instances["secondary"].sql() as sql:
        with pytest.raises(SqlError, match="SECONDARY"):
            sql.write("nope", 1)
        assert sql.read("nope") is None
    stats = pair.instances["secondary"].stats()
    assert stats["role"] == "SECONDARY" and stats["committed_lsn"] == 0


def test_a_sync_commit_is_acknowledged_only_once_the_secondary_hardened_it(arc):
    pair = Pair(arc).setup(sync_mode="sync")
    status = pair.dags["primary"].status()
    assert {r["availabilityMode"] for r in status["replicas"]} == {"SYNCHRONOUS_COMMIT"}
    with pair.instances["primary"].sql() as sql:
        assert sql.stats()["link"]["sync_effective"] is True
        for number in range(50):
            lsn = sql.write(f"sync-{number}", number)
            hardened = sql.stats()["partner_hardened_lsn"]
            assert hardened >= lsn, f"LSN {lsn} acknowledged before the partner hardened it ({hardened})"
    wait_same_logs(pair)


def test_a_partitioned_sync_commit_waits_the_session_timeout_then_the_primary_carries_on(arc):
    pair = Pair(arc).setup(sync_mode="sync")
    write_many(pair.instances["primary"], 5, "before")
    with partitioned(arc):
        with pair.instances["primary"].sql() as sql:
            # the sites notice the cut within a poll period: commits until then still go through
            blocked_lsn, blocked = _first_blocked_commit(sql)
            # the partner is silent: the commit waits for it until the session timeout, not forever. The timeout
            # runs from the partner's last message, which may precede this commit by the time the sites take to
            # notice the cut (a poll, longer on a loaded machine): the lower bound allows for that
            assert SESSION_TIMEOUT * 0.5 <= blocked <= SESSION_TIMEOUT + 3, blocked
            started = time.monotonic()
            alone = [sql.write(f"alone-{number}", number) for number in range(10)]
            assert time.monotonic() - started < 1.5, "the primary must carry on alone once the partner is out"
            stats = sql.stats()
        assert stats["partner_hardened_lsn"] < blocked_lsn
        assert stats["link"]["connected"] is False and stats["link"]["sync_effective"] is False
        status = wait_partner_state(pair.dags["primary"], "DISCONNECTED")
        assert status["role"] == "Primary" and status["healthState"] != "OK"
        # the cause: the partner unreachable, or (between the session's end and the next failed attempt to reach
        # it) still awaited on this side's endpoint
        assert any(cause in status["results"] for cause in ("DISCONNECTED", "unreachable", "waiting for partner")), \
            status["results"]
        assert pair.instances["secondary"].stats()["committed_lsn"] < alone[0]
    wait_partner_state(pair.dags["primary"], "CONNECTED")
    records = wait_same_logs(pair)
    assert records[-1]["lsn"] == alone[-1]
    assert pair.dags["primary"].status()["healthState"] == "OK"
    # synchronous again: the next commit is hardened on the partner before it is acknowledged
    with pair.instances["primary"].sql() as sql:
        lsn = sql.write("after-heal", 1)
        assert sql.stats()["partner_hardened_lsn"] >= lsn


def _first_blocked_commit(sql, attempts=50):
    """(LSN, seconds) of the first commit that had to wait for the partner."""
    for number in range(attempts):
        started = time.monotonic()
        lsn = sql.write(f"during-partition-{number}", number)
        took = time.monotonic() - started
        if took > 0.5:
            return lsn, took
        time.sleep(0.02)
    raise AssertionError(f"none of {attempts} sync commits waited for the partitioned partner")


def test_writes_made_before_the_dag_exists_are_seeded_to_the_new_dr_instance(arc):
    pair = Pair(arc).create_instances()
    lsns = write_many(pair.instances["primary"], 200, "seed")
    assert pair.instances["secondary"].stats()["committed_lsn"] == 0
    pair.create_dags().wait_connected()
    records = wait_same_logs(pair)
    assert [r["lsn"] for r in records] == lsns
    assert [r["key"] for r in records] == [f"seed-{number}" for number in range(200)]
    open_to_clients(pair.instances["secondary"])  # a DR instance takes no client (test_dr_licence.py)
    with pair.instances["secondary"].sql() as sql:
        assert sql.read("seed-199") == (lsns[-1], 199)
    wait_for(lambda: pair.dags["secondary"].status().get("role") == "Secondary", what="the DR side Secondary")


def test_a_backlog_of_large_records_streams_in_batches_beyond_64_kib(arc):
    """Seeding sends the backlog in batches of hundreds of records, each batch one message: larger than
    asyncio's default line limit (64 KiB) with values of a few hundred bytes."""
    pair = Pair(arc).create_instances()
    value = "x" * 400
    with pair.instances["primary"].sql() as sql:
        lsns = [sql.write(f"large-{number}", value) for number in range(600)]
    pair.create_dags().wait_connected()
    records = wait_same_logs(pair)
    assert [r["lsn"] for r in records] == lsns and {r["value"] for r in records} == {value}


def test_a_backlog_of_the_largest_records_still_streams(arc):
    """A batch is bounded in bytes, not only in records: 500 records of 40 KB (the client endpoint
    takes writes up to 64 KiB) would make one 20 MB message, over the link's message limit."""
    pair = Pair(arc).create_instances()
    value = "y" * 40_000
    with pair.instances["primary"].sql() as sql:
        lsns = [sql.write(f"huge-{number}", value) for number in range(500)]
    pair.create_dags().wait_connected()
    records = wait_same_logs(pair, timeout=30)
    assert [r["lsn"] for r in records] == lsns
