"""Memory of the soak's processes: the PSS (proportional set size, /proc/<pid>/smaps_rollup) of every sandbox
process and of the soak's own process, sampled after each cycle, and the comparison of the first cycles' mean with
the last cycles' mean for each kind of process, which says whether memory stays flat.

PSS rather than RSS: each shared page is divided among the processes that share it, so the figures of processes
that share libraries add up. A process that was restarted (a killed site) starts from scratch: its samples say
which pid they are of, and the report counts the restarts."""
import os

from bench.processes import pss_mb

# a kind of process grows when its last cycles' mean exceeds its first cycles' mean by more than this fraction
GROWTH_FRACTION = 0.10
# cycles in each of the two windows compared (fewer when the run is short: half the cycles each)
WINDOW = 10


def sandbox_processes(status):
    """{kind: pid} of every running sandbox component (API server and Arc controller, whose engines run inside it,
    of each site; Azure Resource Manager when the sandbox has one) from `python -m sandbox status --json`."""
    found = {}
    for site, report in status["sites"].items():
        for component, state in report["components"].items():
            if state.get("pid"):
                found["%s (%s site)" % (component, site)] = state["pid"]
    azure = status.get("azure") or {}
    if azure.get("pid"):
        found["azure resource manager"] = azure["pid"]
    found["soak driver and workload"] = os.getpid()
    return found


def sample(processes):
    """{kind: {"pid": pid, "pss_mb": PSS now}} (0 for a process that ended)."""
    return dict((kind, {"pid": pid, "pss_mb": round(pss_mb(pid), 1)}) for kind, pid in processes.items())


def compare(series, window=WINDOW):
    """For each kind in `series` (a list of {kind: MB}, one per cycle): the first and last windows' means, the
    change, and whether it grows. None when there are fewer than two samples."""
    kinds = sorted(set(kind for point in series for kind in point))
    found = {}
    for kind in kinds:
        values = [point[kind] for point in series if point.get(kind) is not None]
        if len(values) < 2:
            continue
        size = max(1, min(window, len(values) // 2))
        first, last = _mean(values[:size]), _mean(values[-size:])
        found[kind] = {"first_mean_mb": round(first, 1), "last_mean_mb": round(last, 1), "window": size,
                       "change_mb": round(last - first, 1),
                       "change_pct": round(100.0 * (last - first) / first, 1) if first else None,
                       "grows": bool(first) and last > first * (1 + GROWTH_FRACTION)}
    return found


def restarts(samples, kind):
    """How many times the process of `kind` changed pid across `samples` (a list of sample() results)."""
    pids = [point[kind]["pid"] for point in samples if kind in point]
    return sum(1 for before, after in zip(pids, pids[1:]) if before != after)


def _mean(values):
    return sum(values) / float(len(values))
