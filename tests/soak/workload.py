"""A continuous write workload that knows, for every write, where it went and how it ended.

sandbox.workload.Workload writes to one endpoint and keeps only what was acknowledged. Across a hundred
failovers the soak needs more: the writes go to whichever site is primary (a client that follows the primary
role, as an application behind a failover group listener would), and a forced failover's discarded count is
compared with the writes the workload sent but never saw acknowledged. So each attempt ends as one of:
  acknowledged  the instance answered with the write's LSN;
  refused       the instance answered with a refusal (a secondary, writes held during a switch, the DR licence);
  unanswered    the request was sent on an open connection and no answer came (the site died meanwhile): the
                write may or may not be in the instance's log;
  not sent      no connection could be opened (the site is down).
"""
import threading
import time

from sandbox.sqlclient import SqlClient, SqlError

# a refusal that means "the other site is the primary": a following workload turns to it
SECONDARY_REFUSAL = "SECONDARY replica"
CONNECT_TIMEOUT_SECONDS = 5


class Outcomes:
    """Every write attempt, in order, as (outcome, site, key, lsn); positions in it are marks."""

    def __init__(self):
        self._entries = []
        self._lock = threading.Lock()

    def add(self, outcome, site, key, lsn=None):
        with self._lock:
            self._entries.append((outcome, site, key, lsn))

    def mark(self):
        with self._lock:
            return len(self._entries)

    def since(self, mark, until=None):
        with self._lock:
            return list(self._entries[mark:until])


def acknowledged(entries, site=None):
    """(lsn, key) of the acknowledged writes among `entries` (to `site` only, when given)."""
    return [(lsn, key) for outcome, where, key, lsn in entries
            if outcome == "acknowledged" and (site is None or where == site)]


def keys_of(entries, outcome, site=None):
    return [key for kind, where, key, unused in entries if kind == outcome and (site is None or where == site)]


def counts(entries):
    """How many attempts ended each way."""
    found = {"acknowledged": 0, "refused": 0, "unanswered": 0, "not sent": 0}
    for outcome, unused, unused_key, unused_lsn in entries:
        found[outcome] += 1
    return found


class FollowingWorkload:
    """Writes `rate` times a second to the instance of the `target` site. With `follow` set, a refusal saying the
    instance is a secondary turns the workload to the other site (it finds the new primary after a planned
    failover by itself); without it, the workload stays on its target until told otherwise (`aim`)."""

    def __init__(self, endpoints, target, rate=25.0, prefix="soak"):
        self.endpoints = dict(endpoints)  # site -> "ip,port" (a restarted site keeps its endpoints)
        self.target, self.rate, self.prefix = target, rate, prefix
        self.follow = True
        self._wanted = None  # (site, follow) asked for by `aim`, taken up by the workload's thread
        self._wanted_lock = threading.Lock()
        self.outcomes = Outcomes()
        self.last_refusal = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="soak-workload", daemon=True)
        self._client = None

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join()
        self._close()

    def aim(self, site, follow):
        """Write to `site` from the next attempt on; `follow`: turn to the other site on a secondary's refusal.
        Taken up by the workload's own thread, so that no write in flight has its connection closed under it."""
        with self._wanted_lock:
            self._wanted = (site, follow)

    def _run(self):
        interval = 1.0 / self.rate
        number, next_at = 0, time.monotonic()
        while not self._stop.is_set():
            self._attempt("%s-%d" % (self.prefix, number), number)
            number += 1
            next_at = max(next_at + interval, time.monotonic() - interval)  # no burst to catch up after a stall
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def _attempt(self, key, value):
        with self._wanted_lock:
            wanted, self._wanted = self._wanted, None
        if wanted is not None:
            self._turn(*wanted)
        site = self.target
        try:
            client = self._connect(site)
        except OSError:
            self.outcomes.add("not sent", site, key)
            return
        try:
            self.outcomes.add("acknowledged", site, key, client.write(key, value))
        except SqlError as exc:
            self.outcomes.add("refused", site, key)
            self.last_refusal = str(exc)
            if self.follow and SECONDARY_REFUSAL in str(exc):
                self._turn(self._other(site), follow=True)
        except (OSError, ValueError):
            self.outcomes.add("unanswered", site, key)
            self._close()

    def _turn(self, site, follow):
        self.follow = follow
        if site != self.target:
            self.target = site
            self._close()

    def _connect(self, site):
        if self._client is None:
            self._client = SqlClient(self.endpoints[site], timeout=CONNECT_TIMEOUT_SECONDS)
        return self._client

    def _other(self, site):
        return next(name for name in self.endpoints if name != site)

    def _close(self):
        client, self._client = self._client, None
        if client is not None:
            try:
                client.close()
            except OSError:
                pass
