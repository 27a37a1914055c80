"""One forced failover and rejoin cycle of the soak, the primary site killed while the workload writes to it:
(on odd cycles, the link cut for a moment first, so that the old primary commits writes its partner never gets)
kill the primary's site, failover_forced with its confirmation, the workload turned to the new primary, the old
site started again, its log read, dr_rejoin; then the checks: exactly one primary, the DR lock released after each
playbook, the rejoin's discarded count against what the workload lost (discards.py), and every other write
acknowledged since the last cycle readable on the primary."""
import time

from .discards import expectation, verdict
from .workload import counts

PHASE = "forced"


def forced_cycle(soak, number, link_cut_seconds):
    label = "forced-%03d" % number
    old = _primary(soak)
    new = next(site for site in soak.state.sites() if site != old)
    cycle = {"cycle": number, "killed_site": old, "new_primary": new, "link_cut_seconds": link_cut_seconds,
             "seconds": {}, "rc": {}, "lock_held": {}, "control_node_peak_pss_mb": {},
             "control_node_peak_rss_mb": {}}
    begun = time.monotonic()
    _lose_the_primary(soak, old, link_cut_seconds, cycle)
    _run(soak, cycle, "failover_forced", label + "-forced", dr_failover_confirm=soak.pair["dag_name"])
    term_mark = soak.workload.outcomes.mark()
    soak.workload.aim(new, follow=False)  # the application turns to the promoted site
    _timed(cycle, "start", lambda: soak.sandbox("start", "--site", old))
    promoted_at, divergent = _divergence(soak, old, new)
    events_before = soak.state.discard_events(old)
    rejoin_mark = soak.workload.outcomes.mark()
    rejoin = _run(soak, cycle, "dr_rejoin", label + "-rejoin")
    cycle["seconds"]["cycle"] = round(time.monotonic() - begun, 2)
    state, engines = soak.pair_state()
    cycle.update(state)
    cycle["discard_events"] = [e for e in soak.state.discard_events(old) if e not in events_before]
    entries = soak.workload.outcomes.since(soak.term_mark, rejoin_mark)
    _compare_discards(soak, cycle, entries, old, promoted_at, divergent, rejoin, engines)
    soak.term_mark = term_mark
    if len(state["primaries"]) != 1 or state["primaries"] != [new] or engines[new].get("role") != "PRIMARY":
        soak.note(PHASE, number, "after dr_rejoin", "not exactly one primary, or not %s: roles %s, engines %s" % (
            new, state["roles"], state["engine_roles"]), soak.logs_of(label + "-rejoin"), fatal=True)
        return cycle
    _check_writes(soak, cycle, new)
    cycle["pss_mb"] = soak.sample_memory(PHASE)
    return cycle


def _primary(soak):
    found = [site for site, role in soak.state.roles().items() if str(role or "").lower() == "primary"]
    return found[0]


def _lose_the_primary(soak, old, link_cut_seconds, cycle):
    soak.workload.aim(old, follow=False)
    if link_cut_seconds:
        soak.sandbox("partition")
        time.sleep(link_cut_seconds)  # the old primary commits alone meanwhile
    try:
        _timed(cycle, "kill", lambda: soak.sandbox("kill", "--site", old))
    finally:
        if link_cut_seconds:
            soak.sandbox("heal")


def _run(soak, cycle, playbook, label, **extra_vars):
    run = soak.playbook(playbook, label, **extra_vars)
    mode = "forced" if playbook == "failover_forced" else "rejoin"
    cycle["rc"][playbook] = run.rc
    cycle["seconds"][playbook] = round(run.seconds, 2)
    cycle["control_node_peak_pss_mb"][playbook] = run.peak_pss_mb
    cycle["control_node_peak_rss_mb"][playbook] = run.peak_rss_mb
    result = soak.transition(run, mode) or {}
    if run.rc != 0:
        soak.note(PHASE, cycle["cycle"], playbook, "the playbook failed: %s" % " ".join(
            str(result.get("msg") or run.stdout[-500:]).split())[:500], soak.logs_of(label))
    holders = soak.state.lock_holders()
    cycle["lock_held"][playbook] = dict((site, holder) for site, holder in holders.items() if holder)
    if cycle["lock_held"][playbook]:
        soak.note(PHASE, cycle["cycle"], "after " + playbook, "the DR lock is left held: %s"
                  % cycle["lock_held"][playbook], soak.logs_of(label))
    cycle[playbook] = {"record": result.get("record"), "lock": result.get("lock"), "summary": result.get("summary"),
                       "warnings": result.get("warnings") or [], "steps": result.get("steps") or []}
    return result


def _divergence(soak, old, new):
    """The new primary's LSN at its promotion, and the old primary's log records after it (read before the rejoin
    discards them)."""
    promoted_at = (soak.state.engine(new) or {}).get("promoted_at_lsn") or 0
    return promoted_at, soak.state.records(old, after=promoted_at)


def _compare_discards(soak, cycle, entries, old, promoted_at, divergent, rejoin, engines):
    found = expectation(entries, old, promoted_at, divergent)
    reported = (rejoin.get("record") or {}).get("discarded_transactions")
    found.update(reported=reported, engine_discarded=(engines.get(old) or {}).get("last_discarded"),
                 verdict=verdict(reported, found), workload=counts([e for e in entries if e[1] == old]))
    cycle["discarded"] = found
    if found["verdict"] == "differs":
        soak.note(PHASE, cycle["cycle"], "dr_rejoin", "discarded count %s in the handover record; expected %d "
                  "(%d acknowledged writes after LSN %d + %d of %d unanswered writes in the old primary's log; the "
                  "engine discarded %s; acknowledged but not in the log: %s; records no write explains: %s)" % (
                      reported, found["expected"], found["acknowledged_lost"], promoted_at,
                      found["unanswered_in_log"], found["unanswered"], found["engine_discarded"],
                      found["acknowledged_not_in_log"][:5], found["unexplained_records"][:5]),
                  soak.logs_of("forced-%03d-rejoin" % cycle["cycle"]))


def _check_writes(soak, cycle, primary):
    """Every write acknowledged since the last check, except those the forced failover lost, on the primary."""
    entries, end = soak.window()
    lost = set()
    if cycle.get("discarded"):
        lost = set(e[2] for e in entries if e[0] == "acknowledged" and e[1] == cycle["killed_site"]
                   and e[3] > cycle["discarded"]["promoted_at_lsn"])
    writes = [(lsn, key) for outcome, unused, key, lsn in entries if outcome == "acknowledged" and key not in lost]
    missing, error = soak.unreadable(primary, writes)
    cycle.update(acknowledged_checked=len(writes), missing=len(missing), missing_examples=missing[:5])
    if missing:
        soak.note(PHASE, cycle["cycle"], "after dr_rejoin", "%d of %d acknowledged writes the forced failover did "
                  "not lose are not readable on the primary %s%s, e.g. %s" % (
                      len(missing), len(writes), primary, " (%s)" % error if error else "", missing[:5]))
    soak.check_mark = end


def _timed(cycle, step, action):
    started = time.monotonic()
    action()
    cycle["seconds"][step] = round(time.monotonic() - started, 2)
