"""A returning old primary rejoined with force-secondary discards its divergent log, but is not synchronized
at once: its databases are NOT_HEALTHY until it has caught up with the new primary, then HEALTHY
(dr-semantics.md §1.7, emulator-audit #15). What it discarded is an Event on the instance and part of the
engine's statistics."""
import time

import pytest

from .conftest import Pair, own_sandbox, partitioned, wait_for, wait_same_logs, write_many
from .licence_support import open_to_clients

FORCED = "force-primary-allow-data-loss"
# the new primary streams 50 records a second: catching up on NEW_WRITES takes seconds, long enough to watch
SEEDING_RATE = 50
COMMON, DIVERGENT, NEW_WRITES = 20, 15, 300


@pytest.fixture(scope="module")
def slow_link(tmp_path_factory):
    with own_sandbox(tmp_path_factory, "--seeding-rate", str(SEEDING_RATE)) as handle:
        yield handle


def events_of(instance, reason):
    events = instance.site.core().list_namespaced_event(instance.site.namespace).items
    return [e for e in events if e.involved_object.name == instance.name and e.reason == reason]


def ha_of(instance):
    return instance.status().get("highAvailability") or {}


def test_a_rejoined_old_primary_is_not_healthy_until_it_has_caught_up(slow_link, record_property):
    pair = Pair(slow_link).setup()
    old, new = pair.instances["primary"], pair.instances["secondary"]
    write_many(old, COMMON, "common")
    wait_same_logs(pair)
    with partitioned(slow_link):
        pair.dags["secondary"].set_role(FORCED)
        assert pair.dags["secondary"].wait_settled(state="Succeeded")["role"] == "Primary"
        open_to_clients(new)  # the documented step after a forced failover: the new primary's licence
        write_many(old, DIVERGENT, "divergent")  # the old primary, cut off, still takes writes
        new_lsns = write_many(new, NEW_WRITES, "new-primary")
    assert new_lsns[-1] == COMMON + NEW_WRITES
    wait_for(lambda: "another primary" in pair.dags["primary"].status().get("results", ""),
             what="the old primary to see the split brain")

    pair.dags["primary"].set_role("force-secondary")
    asked = time.monotonic()
    # catching up: not synchronized, whatever reads it
    ha = wait_for(lambda: (ha := ha_of(old)).get("healthState") == "Error" and ha, what="the HA status Error")
    assert {r["synchronizationState"] for r in ha["replicas"]} == {"NOT_HEALTHY"}
    assert f"{DIVERGENT} divergent transactions" in ha["message"] and f"LSN {COMMON + NEW_WRITES}" in ha["message"]
    stats = old.stats()
    assert stats["role"] == "SECONDARY" and stats["synchronization_health"] == "NOT_HEALTHY"
    assert stats["catching_up_to_lsn"] == COMMON + NEW_WRITES
    assert stats["committed_lsn"] < COMMON + NEW_WRITES, "caught up already: the test cannot see the catch-up"
    assert (stats["last_discarded"], stats["last_discarded_lsns"]) == (DIVERGENT, [COMMON + 1, COMMON + DIVERGENT])
    assert stats["link"]["connected"] and stats["link"]["synchronization_health"] == "NOT_HEALTHY"
    wait_for(lambda: new.stats()["link"]["partner_synchronization_health"] == "NOT_HEALTHY",
             what="the new primary to see its partner catching up")

    # the discard, through the Kubernetes API
    event = wait_for(lambda: events_of(old, "DivergentLogDiscarded"), what="the DivergentLogDiscarded event")[0]
    assert event.type == "Warning"
    for words in (old.name, f"{DIVERGENT} divergent transactions", f"LSN {COMMON + 1} to {COMMON + DIVERGENT}"):
        assert words in event.message, event.message

    # caught up: HEALTHY everywhere
    records = wait_same_logs(pair, timeout=30)
    assert records[-1]["lsn"] == COMMON + NEW_WRITES and not any(r["key"].startswith("divergent") for r in records)
    ha = wait_for(lambda: (ha := ha_of(old)).get("healthState") == "Healthy" and ha, what="the HA status Healthy")
    not_synchronized = time.monotonic() - asked  # measured, not asserted: it depends on the machine
    record_property("seconds_from_force_secondary_to_healthy", round(not_synchronized, 2))
    print(f"rejoin: {DIVERGENT} discarded, {NEW_WRITES - (stats['committed_lsn'] - COMMON)} or more to catch up at "
          f"{SEEDING_RATE}/s; Healthy {not_synchronized:.1f} s after force-secondary")
    assert {r["synchronizationState"] for r in ha["replicas"]} == {"HEALTHY"} and "message" not in ha
    stats = old.stats()
    assert stats["synchronization_health"] == "HEALTHY" and stats["catching_up_to_lsn"] is None
    assert stats["discarded_on_rejoin"] == DIVERGENT  # the count stays in the statistics
    wait_for(lambda: new.stats()["link"]["partner_synchronization_health"] == "HEALTHY",
             what="the new primary to see its partner synchronized")
    assert len(events_of(old, "DivergentLogDiscarded")) == 1
    assert ha_of(new)["healthState"] == "Healthy"  # the new primary never was out of step
