"""Role changes that differ per controller behaviour profile: `primary` written to withdraw a planned failover the
controller abandoned (accepted as a no-op by rich, see test_planned_failover.py; refused by observed-2022 and
cli-2025: withdrawal_accepts_primary), and, in every profile, the partner sync mode set back to async after a
forced promotion (sync_reset_after_forced_promotion; arc-api.md §4.3, dr-semantics.md §2.5; emulator-audit #6,
#7)."""
import pytest

from .conftest import Pair, own_sandbox, partitioned, wait_for, write_many

FORCED = "force-primary-allow-data-loss"
OPAQUE_FAILED = "Completed with Failed state for DistributedAgStateMachine on {}"


@pytest.fixture(scope="module", params=["rich", "observed-2022", "cli-2025"])
def profiled(request, tmp_path_factory):
    with own_sandbox(tmp_path_factory, "--behaviour", request.param) as handle:
        yield request.param, handle


def events_of(dag, reason):
    site = dag.site
    return [e.message for e in site.core().list_namespaced_event(site.namespace).items
            if e.involved_object.name == dag.name and e.reason == reason]


def wait_link(instance, up):
    """The instance's engine sees its partner connected (`up`) or not."""
    return wait_for(lambda: instance.stats()["link"]["connected"] is up, timeout=10,
                    what=f"{instance.name}'s link {'up' if up else 'down'}")


def wait_linked(pair):
    for side in pair.dags:
        wait_for(lambda s=side: pair.linked(s), what=f"the {side} side linked")


def test_primary_written_over_an_abandoned_switch_is_refused_and_changes_nothing(profiled):
    """Refused where withdrawal_accepts_primary is False (the generation ends Failed, saying why); accepted as a
    no-op by rich. Either way the database is untouched and the switch can be asked for again."""
    profile, handle = profiled
    pair = Pair(handle).setup(dr_licence="BasePrice")
    dag, primary = pair.dags["primary"], pair.instances["primary"]
    with partitioned(handle):
        wait_link(primary, up=False)
        asked = dag.set_role("secondary")
        abandoned = dag.wait_reported(asked, state="Failed")  # a planned failover needs a connected partner
        assert abandoned["role"] == "Primary"
    wait_link(primary, up=True)
    # the DAG stays Failed (that generation's outcome) in its real role, once cli-2025's moment of Unknown after
    # the reconnection has passed
    wait_for(lambda: dag.status()["role"] == "Primary", what="the primary side's role Primary again")
    withdrawn = dag.set_role("primary")
    if profile == "rich":  # accepted: the request is withdrawn, as a no-op
        dag.wait_reported(withdrawn, state="Succeeded", role="Primary")
    else:
        status = dag.wait_reported(withdrawn, state="Failed")
        assert status["role"] == "Primary" and status["results"] == OPAQUE_FAILED.format(primary.name), status
        words = ("'primary' is not accepted on update", "nothing changed")
        said = [status["message"]] if profile == "cli-2025" else events_of(dag, "InvalidSpec")
        assert any(all(word in text for word in words) for text in said), said
    # nothing happened to the database: still primary, taking writes, its partner following
    stats = primary.stats()
    assert stats["role"] == "PRIMARY" and not stats["writes_blocked"] and stats["link"]["connected"]
    lsn = write_many(primary, 1, "after-refusal")[0]
    wait_for(lambda: pair.instances["secondary"].stats()["committed_lsn"] >= lsn, what="the write replicated")
    # asking for the switch again is a new generation, carried out
    again = dag.set_role("secondary")
    dag.wait_reported(again, state="Succeeded", role="Secondary")
    wait_for(lambda: pair.dags["secondary"].spec()["role"] == FORCED, what="the partner's role rewritten")
    wait_linked(pair)
    assert pair.roles() == {"primary": "Secondary", "secondary": "Primary"}


def test_a_forced_promotion_sets_the_partner_sync_mode_back_to_async(profiled):
    profile, handle = profiled
    pair = Pair(handle).setup(sync_mode="sync", dr_licence="BasePrice")
    old, new = pair.instances["primary"], pair.instances["secondary"]
    assert new.stats()["link"]["connected"] and old.stats()["link"]["sync_effective"] is True
    dag = pair.dags["secondary"]
    with partitioned(handle):
        wait_link(new, up=False)
        promoted = dag.set_role(FORCED)  # the documented step also sets async; this one leaves it to the controller
        dag.wait_reported(promoted, state="Succeeded", role="Primary")
        spec = wait_for(lambda: dag.spec()["partnerSyncMode"] == "async" and dag.spec(),
                        what="the promoted side's spec rewritten to async")
        assert spec["role"] == FORCED
        assert any("async" in text for text in events_of(dag, "PartnerSyncModeReset"))
        # the rewrite is the controller's own: reported as handled, not acted on as a new request
        status = wait_for(lambda: dag.status().get("lastUpdateTime") and dag.status(), what="a status")
        assert status["state"] == "Succeeded" and status["role"] == "Primary"
        if profile == "rich":
            generation = dag.get()["metadata"]["generation"]
            wait_for(lambda: dag.status().get("observedGeneration") == generation, what="the rewrite observed")
    # the old primary returns as a second primary; rejoined, it follows the new primary, asynchronously although
    # its own spec still says sync
    assert pair.dags["primary"].spec()["partnerSyncMode"] == "sync"
    rejoined = pair.dags["primary"].set_role("force-secondary")
    pair.dags["primary"].wait_reported(rejoined, state="Succeeded", role="Secondary")
    wait_linked(pair)
    stats = new.stats()
    assert stats["role"] == "PRIMARY" and stats["link"]["connected"] and stats["link"]["sync_effective"] is False
    replicas = dag.status().get("replicas")
    if replicas is not None:
        assert replicas[0]["availabilityMode"] == "ASYNCHRONOUS_COMMIT"
    lsn = write_many(new, 1, "after-rejoin")[0]
    wait_for(lambda: old.stats()["committed_lsn"] >= lsn, what="the write replicated to the rejoined side")
