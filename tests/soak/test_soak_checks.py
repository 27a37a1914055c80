"""The soak's own logic, without a sandbox: the discard expectation and its verdict, the first-against-last memory
comparison, and the Markdown section."""
from .discards import expectation, verdict
from .memory import compare, restarts
from .report import soak_section

OLD, NEW = "primary", "secondary"


def attempts():
    """The old primary's last term as the workload saw it: LSNs 1-5 acknowledged, two writes unanswered when it
    died, one refused, then the new primary's writes."""
    return ([("acknowledged", OLD, "w-%d" % n, n) for n in range(1, 6)] +
            [("unanswered", OLD, "w-6", None), ("unanswered", OLD, "w-7", None), ("refused", OLD, "w-8", None),
             ("not sent", OLD, "w-9", None), ("acknowledged", NEW, "w-10", 4)])


def record(lsn, key):
    return {"lsn": lsn, "key": key}


def test_the_expected_discards_are_the_acknowledged_writes_after_the_promotion_and_the_unanswered_ones_logged():
    # promoted at LSN 3: the old primary's LSNs 4 and 5 were acknowledged, w-6 reached its log, w-7 never did
    found = expectation(attempts(), OLD, 3, [record(4, "w-4"), record(5, "w-5"), record(6, "w-6")])
    assert (found["acknowledged_lost"], found["unanswered"], found["unanswered_in_log"]) == (2, 2, 1)
    assert (found["expected"], found["upper_bound"], found["divergent_records"]) == (3, 4, 3)
    assert found["acknowledged_not_in_log"] == [] and found["unexplained_records"] == []
    assert verdict(3, found) == "equal"
    assert verdict(None, found) == "differs" and verdict(2, found) == "differs"


def test_an_acknowledged_write_missing_from_the_log_or_a_record_no_write_explains_is_never_equal():
    found = expectation(attempts(), OLD, 3, [record(4, "w-4"), record(6, "stranger")])
    assert found["acknowledged_not_in_log"] == ["w-5"] and found["unexplained_records"] == ["stranger"]
    assert verdict(found["expected"], found) == "differs"


def test_nothing_discarded_and_nothing_reported_is_its_own_verdict():
    found = expectation(attempts(), OLD, 5, [])
    assert (found["expected"], found["upper_bound"]) == (0, 2)
    assert verdict(None, found) == "none discarded, none reported"
    assert verdict(0, found) == "equal"


def test_memory_growth_is_flagged_when_the_last_cycles_exceed_the_first_by_more_than_a_tenth():
    flat = [{"api": 40.0}] * 10 + [{"api": 43.0}] * 10
    growing = [{"api": 40.0}] * 10 + [{"api": 45.0}] * 10
    assert compare(flat)["api"]["grows"] is False and compare(flat)["api"]["change_pct"] == 7.5
    assert compare(growing)["api"]["grows"] is True and compare(growing)["api"]["change_mb"] == 5.0
    # a short run compares its halves; a single sample compares nothing
    assert compare([{"api": 10.0}, {"api": 20.0}, {"api": 30.0}])["api"]["window"] == 1
    assert compare([{"api": 10.0}]) == {}


def test_restarts_count_the_changes_of_pid():
    samples = [{"api": {"pid": 1}}, {"api": {"pid": 1}}, {"api": {"pid": 2}}, {"api": {"pid": 3}}]
    assert restarts(samples, "api") == 2


def results():
    planned = {"cycle": 1, "rc": 0, "seconds": 4.0, "primaries": [NEW],
               "engine_roles": {OLD: "SECONDARY", NEW: "PRIMARY"},
               "acknowledged_checked": 100, "lost": 0, "lock_held": False}
    forced = {"cycle": 1, "killed_site": NEW, "link_cut_seconds": 1.0, "primaries": [OLD],
              "engine_roles": {OLD: "PRIMARY", NEW: "SECONDARY"}, "lock_held": {"dr_rejoin": {}},
              "seconds": {"cycle": 20.0}, "missing": 0, "acknowledged_checked": 50,
              "discarded": dict(expectation(attempts(), OLD, 3, [record(4, "w-4"), record(5, "w-5")]),
                                reported=None, verdict="differs")}
    row = {"first_mean_mb": 40.0, "last_mean_mb": 45.0, "change_mb": 5.0, "change_pct": 12.5, "grows": True,
           "window": 10}
    return {"options": {"planned_cycles": 1, "forced_cycles": 1, "rate": 25.0, "link_cut_seconds": 1.0},
            "finished": "2026-12-08T03:00:00Z", "seconds": 1500, "planned": [planned], "forced": [forced],
            "planned_all_writes": {"acknowledged": 120, "missing": 0},
            "memory": {"planned": {"sandbox": {"apiserver (primary site)": row}, "restarts": {},
                                   "control_node": {}, "control_node_rss": {}}},
            "misbehaviours": [{"phase": "forced", "cycle": 1, "step": "dr_rejoin", "what": "count unknown",
                               "logs": None}]}


def test_the_section_shows_each_phase_the_memory_flags_and_the_misbehaviours():
    section = soak_section(results())
    assert section.startswith("## Failover soak\n")
    assert "| planned failovers that completed | 1 of 1 |" in section
    assert "| 1 | secondary | 1 s | 3 | null | 2 | 4 | 2 | differs | yes | no |" in section
    assert "| planned | apiserver (primary site) | 40.0 MB | 45.0 MB | +5.0 MB (+12.5 %) | **yes** |" in section
    assert "- forced cycle 1, dr_rejoin: count unknown" in section


def test_the_section_says_what_the_sandbox_memory_follows():
    document = results()
    second = dict(document["planned"][0], cycle=2)
    document["planned"][0].update(committed_lsn={OLD: 100, NEW: 90}, api_resource_version={OLD: 10, NEW: 20})
    second.update(committed_lsn={OLD: 900, NEW: None}, api_resource_version={OLD: 110, NEW: 140})
    document["planned"].append(second)
    assert "In the planned phase the primary's log grew from 100 to 900 records and the API servers' " \
        "resourceVersion from 10/20 to 110/140." in soak_section(document)
