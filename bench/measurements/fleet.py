"""Fleet scale (issue 7, item 5): dr_setup for 1, 10 and 50 DR pairs, then a no-op re-run of the largest fleet.

Each set-up runs on a fresh two-site sandbox with the default (realistic-but-fast) controller timings, so that
every size starts from empty sites and the sandbox's peak memory is that size's own. The figures: wall time,
API requests on both sites (the collection's own among them), peak memory of the sandbox's four processes and
of ansible-playbook, CPU of both, and each of them per pair as N grows. The no-op re-run must write nothing:
requests of the collection (User-Agent arcdata.sqlmi/) that create, update, patch or delete without dry-run;
the controllers' own status writes are theirs, not ours."""
import os

from bench import processes, stats
from bench.measurement import Result
from bench.playbook_runner import run_playbook
from bench.sandbox_session import collection_requests, running_sandbox, writes

NAME = "fleet"
TITLE = "Fleet: dr_setup for N DR pairs, then a no-op re-run"
SIZES = (1, 10, 50)
QUICK_SIZES = (1, 2)  # the CI smoke: proves the measurement works in about a minute
# A 50-pair set-up and its re-run take about 5 minutes each on a quiet machine: fewer repetitions of the other
# sizes too keep the whole measurement near its share of make bench's 20 minutes.
MOST_REPETITIONS = {1: 3, 10: 1, 50: 1}
SETUP_GOAL = (50, 300.0)  # 50 pairs set up in at most 5 minutes
NOOP_GOAL = 0.25          # a no-op re-run takes at most a quarter of the set-up's time
FLAT = 1.10               # "flat" per-pair cost: at most 10 % above the smaller fleet's (timing noise)


def forks(pairs):
    """Both hosts of a pair in flight together, two per core. Each module run is a Python process that spends
    almost all of its time on the CPU (its API calls take milliseconds), so two per core keep the cores busy
    while a fork waits on the API or sleeps between an until-loop's checks; more forks only queue for the CPU
    and cost about 55 MB each."""
    return min(2 * pairs, 2 * (os.cpu_count() or 1))


def cpu_of(pids):
    return sum(processes.cpu_seconds(pid) for pid in pids)


def p99(values):
    """The 99th percentile of `values` (nearest rank)."""
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * 0.99))] if values else 0.0


def play(sandbox, inventory, pairs):
    """One dr_setup run on the sandbox: its figures, from the run itself and from both sites' audit logs."""
    marks, pids = sandbox.marks(), sandbox.pids()
    cpu_before = cpu_of(pids)
    run = run_playbook("arcdata.sqlmi.dr_setup", inventory, forks=forks(pairs)).check()
    requests = sandbox.requests_since(marks)
    ours = collection_requests(requests)
    return {"seconds": round(run.seconds, 2), "requests": len(requests), "ours": len(ours), "writes": len(writes(ours)),
            # how long the sandbox took to answer (a watch lasts as long as its client waits: not a latency)
            "api_p99_ms": p99(r["duration_ms"] for r in requests if r["verb"] != "watch"),
            "ansible_rss_mb": run.peak_rss_mb, "ansible_pss_mb": run.peak_pss_mb, "ansible_cpu": run.cpu_seconds,
            # VmHWM: each process's own peak since the sandbox started (a fresh sandbox for every size)
            "sandbox_rss_mb": round(sum(processes.peak_rss_mb(pid) for pid in pids), 1),
            "sandbox_cpu": round(cpu_of(pids) - cpu_before, 2)}


def fleet(pairs, noop):
    """dr_setup for `pairs` pairs on a fresh sandbox, and (when `noop`) the same run again."""
    with running_sandbox() as sandbox:
        inventory = sandbox.inventory(pairs)
        runs = {"setup": play(sandbox, inventory, pairs)}
        if noop:
            runs["noop"] = play(sandbox, inventory, pairs)
        return runs


def summaries(runs, pairs):
    """The figures of one size from its repetitions, absolute and per pair."""
    def each(key):
        return [run[key] for run in runs]

    def per_pair(key):
        return [run[key] / pairs for run in runs]

    return {"wall": stats.summary(each("seconds"), "s"), "wall per pair": stats.summary(per_pair("seconds"), "s"),
            "API requests (both sites)": stats.summary(each("requests"), "requests"),
            "API requests per pair": stats.summary(per_pair("requests"), "requests"),
            "the collection's requests per pair": stats.summary(per_pair("ours"), "requests"),
            "ansible-playbook CPU per pair": stats.summary(per_pair("ansible_cpu"), "s"),
            "sandbox CPU per pair": stats.summary(per_pair("sandbox_cpu"), "s"),
            "ansible-playbook peak RSS (largest process)": stats.summary(each("ansible_rss_mb"), "MB"),
            "ansible-playbook peak PSS (with its forks)": stats.summary(each("ansible_pss_mb"), "MB"),
            "sandbox peak RSS (APIs and controllers)": stats.summary(each("sandbox_rss_mb"), "MB"),
            "sandbox p99 request latency (watches excluded)": stats.summary(each("api_p99_ms"), "ms")}


def add_size(result, pairs, figures):
    for name, value in figures.items():
        result.figures["%d pairs: %s" % (pairs, name)] = value


def add_noop(result, pairs, setups, noops):
    setup, noop = stats.summary([r["seconds"] for r in setups], "s"), stats.summary([r["seconds"] for r in noops], "s")
    result.figures["%d pairs, no-op re-run: wall" % pairs] = noop
    result.figures["%d pairs, no-op re-run: API requests (both sites)" % pairs] = stats.summary(
        [r["requests"] for r in noops], "requests")
    result.figures["%d pairs, no-op re-run: the collection's writes" % pairs] = stats.summary(
        [r["writes"] for r in noops], "requests")
    share = stats.ratio(noop, setup)
    result.figures["%d pairs, no-op re-run / set-up time" % pairs] = share
    result.target("no-op re-run of %d pairs: the collection's write requests" % pairs, "0",
                  max(r["writes"] for r in noops), max(r["writes"] for r in noops) == 0)
    result.target("no-op re-run of %d pairs / its set-up time" % pairs, "<= %.2f" % NOOP_GOAL, share,
                  share is not None and share <= NOOP_GOAL)


def add_scaling(result, sizes, by_size):
    """Per-pair wall time as N grows: flat (within FLAT) or falling at every step."""
    medians = [by_size[pairs]["wall per pair"]["median"] for pairs in sizes]
    steps = [later / earlier for earlier, later in zip(medians, medians[1:])]
    worst = round(max(steps), 3)
    result.target("per-pair set-up time, %s pairs" % " -> ".join(map(str, sizes)),
                  "each step <= %.2fx the last (flat or falling)" % FLAT,
                  " -> ".join("%.2f s" % m for m in medians), worst <= FLAT)


def repetitions_of(pairs, args):
    return min(args.repetitions, MOST_REPETITIONS.get(pairs, args.repetitions))


def measure(result, sizes, args):
    """Each size's set-ups (and the largest's no-op re-runs) into `result`; each size's summaries."""
    by_size = {}
    for pairs in sizes:
        largest = pairs == sizes[-1]
        measured = [fleet(pairs, noop=largest) for repetition in range(repetitions_of(pairs, args))]
        setups = [runs["setup"] for runs in measured]
        by_size[pairs] = summaries(setups, pairs)
        add_size(result, pairs, by_size[pairs])
        if largest:
            add_noop(result, pairs, setups, [runs["noop"] for runs in measured])
    return by_size


def run(args):
    result = Result(NAME, TITLE)
    sizes = QUICK_SIZES if args.quick else SIZES
    by_size = measure(result, sizes, args)
    goal_pairs, goal_seconds = SETUP_GOAL
    if goal_pairs in by_size:
        wall = by_size[goal_pairs]["wall"]["median"]
        result.target("dr_setup of %d pairs" % goal_pairs, "<= %d s" % goal_seconds, wall, wall <= goal_seconds)
    else:
        result.notes.append("quick run: %s pairs only; the %d-pair set-up time is measured by the full bench"
                            % (" and ".join(map(str, sizes)), goal_pairs))
    add_scaling(result, sizes, by_size)
    result.notes += [
        "forks %s for %s pairs (both hosts of a pair together, two per core on %d cores); a fresh sandbox with "
        "default timings for every run" % (", ".join(str(forks(p)) for p in sizes), ", ".join(map(str, sizes)),
                                           os.cpu_count()),
        "repetitions per size: %s" % ", ".join("%d pairs x%d" % (p, repetitions_of(p, args)) for p in sizes),
        "a single pair's set-up is as long as its ~30 tasks one after the other, every task waiting for both "
        "hosts; a fleet runs each task on all its hosts at once, so the per-pair time falls with N until the "
        "CPU is saturated, and is flat from there (each site's module runs are Python processes on the CPU)",
        "a no-op re-run reads each site once (dr_setup's first check) and finds nothing pending, so it skips the "
        "roles that would write; the set-up's own time is Ansible's CPU too, since the sandbox's instances are "
        "Ready within a second (on real clusters, where they take minutes, the ratio is far smaller)"]
    return result
