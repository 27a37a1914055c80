"""Memory and CPU of running processes, read from /proc (Linux), for the bench's figures.

RSS counts a page shared by several processes once in each of them: ansible-playbook's forks share most of
their parent's memory (copy-on-write), so the memory of a process tree is the sum of its PSS (each shared page
divided among its sharers), while the peak of one process is its VmHWM (the kernel's own high-water mark)."""
import os
import threading

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _read(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return ""  # the process ended between listing and reading


def _kilobytes(text, field):
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _stat_fields(pid):
    """The fields of /proc/<pid>/stat after the command name (which may contain spaces)."""
    return _read("/proc/%d/stat" % pid).rpartition(")")[2].split()


def peak_rss_mb(pid):
    """The largest resident set the process has had so far (VmHWM)."""
    return _kilobytes(_read("/proc/%d/status" % pid), "VmHWM") / 1024.0


def pss_mb(pid):
    """The process's proportional share of resident memory now."""
    return _kilobytes(_read("/proc/%d/smaps_rollup" % pid), "Pss") / 1024.0


def cpu_seconds(pid):
    """User plus system CPU time the process has used so far."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS if len(fields) > 12 else 0.0


def descendants(pid):
    """`pid` and every process below it (the /proc parent links, scanned once)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if len(fields) > 1:
                children.setdefault(int(fields[1]), []).append(int(entry))
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(children.get(current, []))
    return found


class TreeMemory(threading.Thread):
    """The peak of a process tree's summed PSS, sampled every `interval` seconds until stopped (a fork that
    lives shorter than the interval may be missed: a sampled peak, not an exact one)."""

    def __init__(self, pid, interval=0.2):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_mb = 0.0
        self._stopped = threading.Event()

    def run(self):
        while not self._stopped.is_set():
            self.peak_mb = max(self.peak_mb, sum(pss_mb(p) for p in descendants(self.pid)))
            self._stopped.wait(self.interval)

    def stop(self):
        self._stopped.set()
        self.join()
        return round(self.peak_mb, 1)
