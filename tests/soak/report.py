"""The soak's section of the reliability report: `soak_section(results)` renders the results of `run_soak` (the
content of soak.json) as Markdown."""
import statistics

from .memory import GROWTH_FRACTION


def soak_section(results):
    """Markdown: what ran, the planned phase's checks, each forced cycle, memory, and every misbehaviour."""
    options = results["options"]
    parts = ["## Failover soak", "",
             "One DR pair on a sandbox of its own: %d planned failovers (`failover_planned`, back and forth) under a "
             "continuous write workload (%g writes per second, following the primary), then %d forced failover and "
             "rejoin cycles (`failover_forced`, `dr_rejoin`) with the primary site killed each time (every other "
             "cycle with the mirroring link cut for %g s before the kill, so that the old primary commits writes "
             "alone). Run with `make soak`; finished %s, %s." % (
                 options["planned_cycles"], options["rate"], options["forced_cycles"], options["link_cut_seconds"],
                 results.get("finished", "?"), _duration(results.get("seconds"))), ""]
    parts += _planned(results) + _forced(results) + _memory(results) + _misbehaviours(results)
    return "\n".join(parts) + "\n"


def _planned(results):
    cycles = results["planned"]
    if not cycles:
        return []
    checked = sum(c.get("acknowledged_checked", 0) for c in cycles)
    final = results.get("planned_all_writes") or {}
    rows = [("planned failovers that completed", "%d of %d" % (sum(1 for c in cycles if c["rc"] == 0),
                                                               results["options"]["planned_cycles"])),
            ("acknowledged writes not readable on the new primary after the failover",
             "%d (of %d checked, each in the cycle it was acknowledged)" % (sum(c.get("lost", 0) for c in cycles),
                                                                            checked)),
            ("acknowledged writes missing from the primary's log at the end of the phase",
             "%s (of %s)" % (final.get("missing", "not checked"), final.get("acknowledged", "-"))),
            ("cycles ending with exactly one primary (DAG status and engine)",
             "%d of %d" % (sum(1 for c in cycles if _one_primary(c)), len(cycles))),
            ("cycles leaving the DR lock held", str(sum(1 for c in cycles if c.get("lock_held")))),
            ("failover_planned run, median (max)", "%s s (%s s)" % _median_max([c["seconds"] for c in cycles]))]
    return ["### Planned failovers", "", "| check | result |", "|---|---|"] + \
        ["| %s | %s |" % row for row in rows] + [""]


def _forced(results):
    cycles = results["forced"]
    if not cycles:
        return []
    lines = ["### Forced failover and rejoin cycles", "",
             "Expected discards: the writes the old primary acknowledged after the LSN the new primary was promoted "
             "at, plus the writes sent to it that got no answer and are in its log after that LSN (read before the "
             "rejoin). Upper bound: acknowledged after that LSN plus every unanswered write. Reported: the rejoin's "
             "handover record (`discarded_transactions`; null when no discard was reported).", "",
             "| cycle | killed | link cut | promoted at LSN | reported | expected | upper bound | acknowledged lost "
             "| verdict | one primary | lock left held |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in cycles:
        found = c.get("discarded") or {}
        lines.append("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            c["cycle"], c["killed_site"], "%g s" % c["link_cut_seconds"] if c["link_cut_seconds"] else "no",
            found.get("promoted_at_lsn", "-"), _text(found.get("reported")), found.get("expected", "-"),
            found.get("upper_bound", "-"), found.get("acknowledged_lost", "-"), found.get("verdict", "-"),
            "yes" if _one_primary(c) else "**no**",
            "**yes**" if any(c.get("lock_held", {}).values()) else "no"))
    cycle_seconds = [c["seconds"].get("cycle") for c in cycles if c["seconds"].get("cycle") is not None]
    lines += ["", "Acknowledged writes not lost by a forced failover but not readable on the primary after the "
              "rejoin: %d (of %d checked). A cycle (kill, failover_forced, start, dr_rejoin) took %s s median "
              "(max %s s)." % (sum(c.get("missing", 0) for c in cycles),
                               sum(c.get("acknowledged_checked", 0) for c in cycles),
                               *_median_max(cycle_seconds)), ""]
    return lines


def _memory(results):
    memory = results.get("memory") or {}
    lines = ["### Memory", "",
             "PSS of each process, mean of the first cycles against the mean of the last ones (10 each, or half the "
             "cycles of a shorter run); growth is flagged above %d %%. Sandbox processes are sampled after each "
             "cycle. The control node's figures are per ansible-playbook run: the peak PSS of its process tree (with its "
             "forks, sampled every 0.2 s, so a short-lived fork may be missed) and the peak RSS of its largest single "
             "process (the kernel's count, exact)." % round(100 * GROWTH_FRACTION), "",
             "| phase | process | first | last | change | grows |", "|---|---|---|---|---|---|"]
    lines = lines[:2] + _growth_context(results) + lines[2:]
    for phase in ("planned", "forced"):
        figures = memory.get(phase) or {}
        restarts = figures.get("restarts") or {}
        for kind, row in sorted((figures.get("sandbox") or {}).items()):
            note = " (restarted %d times)" % restarts[kind] if restarts.get(kind) else ""
            lines.append(_memory_row(phase, kind + note, row))
        for kind, row in sorted((figures.get("control_node") or {}).items()):
            lines.append(_memory_row(phase, "control node: %s, process tree's peak PSS" % kind, row))
        for kind, row in sorted((figures.get("control_node_rss") or {}).items()):
            lines.append(_memory_row(phase, "control node: %s, largest process's peak RSS" % kind, row))
    return lines + [""]


def _growth_context(results):
    """What the sandbox's memory follows, first cycle to last: the engines hold their whole transaction log, the API
    servers their latest changes (for watches that resume, up to a bounded window)."""
    lines = []
    for phase in ("planned", "forced"):
        cycles = [c for c in results.get(phase) or [] if c.get("committed_lsn")]
        if len(cycles) < 2:
            continue
        first, last = cycles[0], cycles[-1]
        lines.append("In the %s phase the primary's log grew from %s to %s records and the API servers' resourceVersion "
                     "from %s to %s." % (phase, max(filter(None, first["committed_lsn"].values())),
                                         max(filter(None, last["committed_lsn"].values())),
                                         _versions(first), _versions(last)))
    return lines + [""] if lines else []


def _versions(cycle):
    return "/".join(str(v) for unused, v in sorted((cycle.get("api_resource_version") or {}).items()))


def _memory_row(phase, kind, row):
    change = "%+.1f MB (%+.1f %%)" % (row["change_mb"], row["change_pct"] or 0.0)
    grows = "**yes**" if row["grows"] else "no"
    return "| %s | %s | %.1f MB | %.1f MB | %s | %s |" % (phase, kind, row["first_mean_mb"], row["last_mean_mb"],
                                                          change, grows)


def _misbehaviours(results):
    found = results.get("misbehaviours") or []
    if not found:
        return ["### Misbehaviours", "", "None: every check held in every cycle.", ""]
    lines = ["### Misbehaviours", ""]
    for item in found:
        logs = " (logs: `%s`)" % item["logs"] if item.get("logs") else ""
        lines.append("- %s cycle %s, %s: %s%s" % (item["phase"], item["cycle"], item["step"], item["what"], logs))
    return lines + [""]


def _one_primary(cycle):
    return len(cycle.get("primaries") or []) == 1 and \
        list((cycle.get("engine_roles") or {}).values()).count("PRIMARY") == 1


def _median_max(values):
    values = [v for v in values if v is not None]
    if not values:
        return "-", "-"
    return "%.1f" % statistics.median(values), "%.1f" % max(values)


def _duration(seconds):
    return "in %.0f min" % (seconds / 60.0) if seconds else "duration unknown"


def _text(value):
    return "null" if value is None else str(value)
