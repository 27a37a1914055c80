"""A short soak (4 planned failovers, 2 forced failover + rejoin cycles, one with the link cut before the kill) on
a sandbox of its own, checking what the full `make soak` checks after every cycle. Needs the build tree
(`make build-tree`)."""
import pytest

from .memory import sandbox_processes
from .report import soak_section
from .soak import run_soak

PLANNED, FORCED = 4, 2
# the sandbox's processes whose memory must be sampled after every cycle
KINDS = ["apiserver (primary site)", "apiserver (secondary site)", "controller (primary site)",
         "controller (secondary site)", "soak driver and workload"]

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def soak(tmp_path_factory):
    return run_soak(PLANNED, FORCED, tmp_path_factory.mktemp("soak"))


def test_planned_failovers_lose_no_acknowledged_write_and_leave_one_primary_and_the_lock_free(soak):
    cycles = soak["planned"]
    assert [c["rc"] for c in cycles] == [0] * PLANNED, soak["misbehaviours"]
    # back and forth: each failover moves the primary role to the other site
    assert [c["to_site"] for c in cycles] == ["secondary", "primary"] * (PLANNED // 2)
    for cycle in cycles:
        assert cycle["primaries"] == [cycle["to_site"]], cycle
        assert sorted(cycle["engine_roles"].values()) == ["PRIMARY", "SECONDARY"], cycle
        assert cycle["writes"]["acknowledged"] > 0 and cycle["acknowledged_checked"] > 0, cycle["writes"]
        assert (cycle["lost"], cycle["lock_held"]) == (0, False), cycle
    assert soak["planned_all_writes"]["missing"] == 0
    assert soak["planned_all_writes"]["acknowledged"] >= sum(c["acknowledged_checked"] for c in cycles)


def test_forced_cycles_leave_one_primary_and_the_lock_free_and_discard_exactly_what_the_workload_lost(soak):
    cycles = soak["forced"]
    assert len(cycles) == FORCED
    for cycle in cycles:
        assert cycle["rc"] == {"failover_forced": 0, "dr_rejoin": 0}, soak["misbehaviours"]
        assert cycle["primaries"] == [cycle["new_primary"]] != [cycle["killed_site"]], cycle
        assert sorted(cycle["engine_roles"].values()) == ["PRIMARY", "SECONDARY"], cycle
        assert cycle["lock_held"] == {"failover_forced": {}, "dr_rejoin": {}}, cycle
        found = cycle["discarded"]
        # the old primary discarded exactly the writes it acknowledged after the promotion point and the
        # unanswered ones that reached its log: no more, no fewer, and never a write the workload did not send
        assert found["engine_discarded"] == found["expected"] <= found["upper_bound"], found
        assert found["acknowledged_not_in_log"] == [] and found["unexplained_records"] == [], found
        assert (cycle["missing"], cycle["acknowledged_checked"] > 0) == (0, True), cycle
    # the cycle with the link cut before the kill lost acknowledged writes (the forced failover's data loss)
    assert cycles[0]["link_cut_seconds"] and cycles[0]["discarded"]["acknowledged_lost"] > 0


def test_the_rejoin_record_counts_the_discarded_transactions(soak):
    assert [c["discarded"]["reported"] for c in soak["forced"]] == \
        [c["discarded"]["expected"] or None for c in soak["forced"]]


def test_memory_of_every_process_is_sampled_and_the_report_shows_it(soak):
    for phase, count in (("planned", PLANNED), ("forced", FORCED)):
        for cycle in soak[phase]:
            assert sorted(cycle["pss_mb"]) == KINDS and all(v["pss_mb"] > 0 for v in cycle["pss_mb"].values())
        assert sorted(soak["memory"][phase]["sandbox"]) == KINDS
    section = soak_section(soak)
    assert section.startswith("## Failover soak")
    for kind in KINDS + ["control node: failover_planned", "control node: dr_rejoin"]:
        assert kind in section
    assert "%d of %d" % (PLANNED, PLANNED) in section


def test_processes_are_named_by_component_and_site():
    status = {"sites": {"primary": {"components": {"apiserver": {"pid": 11}, "controller": {"pid": None}}}}}
    found = sandbox_processes(status)
    assert found["apiserver (primary site)"] == 11 and "controller (primary site)" not in found
