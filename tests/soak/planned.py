"""One planned failover of the soak: failover_planned while the workload writes, then the checks: every write
acknowledged since the last cycle readable on the new primary, exactly one primary (as the DAG resources report
it and as the engines have it), the DR lock released on both sites."""

from .workload import counts

PHASE = "planned"


def planned_cycle(soak, number):
    label = "planned-%03d" % number
    before = soak.state.roles()
    mark = soak.workload.outcomes.mark()
    run = soak.playbook("failover_planned", label)
    result = soak.transition(run, "planned") or {}
    state, unused = soak.pair_state()
    entries, end = soak.window()
    cycle = {"cycle": number, "rc": run.rc, "seconds": round(run.seconds, 2),
             "from_site": result.get("from_site"), "to_site": result.get("to_site"),
             "roles_before": before, **state,
             "writes": counts(entries),
             "control_node_peak_pss_mb": {"failover_planned": run.peak_pss_mb},
             "control_node_peak_rss_mb": {"failover_planned": run.peak_rss_mb}}
    if run.rc != 0:
        soak.note(PHASE, number, "failover_planned", "the playbook failed: %s" % _message(result, run),
                  soak.logs_of(label))
    if len(state["primaries"]) != 1 or state["engine_roles"].get(_only(state["primaries"])) != "PRIMARY":
        soak.note(PHASE, number, "after failover_planned", "not exactly one primary: roles %s, engines %s" % (
            state["roles"], state["engine_roles"]), soak.logs_of(label), fatal=True)
        return cycle
    primary = state["primaries"][0]
    if primary != before_primary(before):
        soak.term_mark = mark  # the new primary's writes all come after this mark
    cycle.update(primary=primary, **_lost_writes(soak, number, primary, entries))
    soak.check_mark = end
    cycle["lock_held"] = _lock_held(soak, number, state, label)
    cycle["pss_mb"] = soak.sample_memory(PHASE)
    return cycle


def before_primary(roles):
    found = [site for site, role in roles.items() if str(role or "").lower() == "primary"]
    return found[0] if len(found) == 1 else None


def _lost_writes(soak, number, primary, entries):
    writes = [(lsn, key) for outcome, unused, key, lsn in entries if outcome == "acknowledged"]
    missing, error = soak.unreadable(primary, writes)
    if missing:
        why = " (%s)" % error if error else ""
        soak.note(PHASE, number, "after failover_planned", "%d of %d writes acknowledged in the cycle are not "
                  "readable on the new primary %s%s, e.g. %s" % (len(missing), len(writes), primary, why,
                                                                 missing[:5]))
    return {"acknowledged_checked": len(writes), "lost": len(missing), "lost_examples": missing[:5]}


def _lock_held(soak, number, state, label):
    held = dict((site, holder) for site, holder in state["lock_holders"].items() if holder)
    if held:
        soak.note(PHASE, number, "after failover_planned", "the DR lock is left held: %s" % held,
                  soak.logs_of(label))
    return bool(held)


def _only(values):
    return values[0] if len(values) == 1 else None


def _message(result, run):
    return " ".join(str(result.get("msg") or run.stdout[-500:]).split())[:500]
