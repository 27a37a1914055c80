"""The database of one instance: its role, its log, its data, and the counters DR tests read.

A primary accepts writes; each commit is durable (fsynced, grouped with concurrent commits)
before it is acknowledged, and in synchronous mode also hardened by the partner (the
`commit_gate` the mirroring link installs). A secondary refuses writes and applies what its
primary streams. Role and epoch history are persisted, so a primary killed and restarted still
believes it is primary: exactly the returning old primary of a forced failover.

A side demoted by force (the returning old primary of a forced failover) may hold log the new primary never
had: it is reverting, not synchronized (NOT_HEALTHY), until the primary has compared the two logs. It then
discards what the new primary never had and is still not synchronized until it has caught up with the primary's
log as it stood when the discard happened, and until the discard is on record. SQL Server does the same: the
former primary resumes as a secondary that reverts (REVERTING), then synchronizes (SYNCHRONIZING), and is HEALTHY
only then (dr-semantics.md §1.7, emulator-audit #15). Each discard is kept (count and LSN range) for the
controller to report.
"""
import asyncio
import time

from .. import jsonfile
from . import history
from .txlog import TransactionLog

PRIMARY, SECONDARY = "PRIMARY", "SECONDARY"


class WriteRefused(Exception):
    """The instance cannot take this write; the message says why."""


class Database:
    def __init__(self, state_dir, name):
        self.name = name
        self._meta_path = state_dir / "database.json"
        self.log = TransactionLog(state_dir / "log.jsonl")
        meta = jsonfile.load(self._meta_path, {})
        self.role = meta.get("role", PRIMARY)
        # [[epoch, first LSN of that epoch], ...]: where each primary term began (see history.py)
        self.epochs = meta.get("epochs") or history.initial(name)
        self.counters = {"local_writes": 0, "split_brain_writes": 0, "discarded_on_rejoin": 0,
                         "last_discarded": 0, **meta.get("counters", {})}
        # every discard of a divergent log: {"count", "first_lsn", "last_lsn", "catch_up_to"}
        self.discards = meta.get("discards", [])
        # how many of them the controller has reported (an Event each): SQL Server logs a discard as part of the
        # rejoin, so a side is not reported synchronized before its discard is on record
        self.discards_reported = meta.get("discards_reported", 0)
        # while catching up after a discard: the primary's LSN to reach; None when synchronized
        self.catch_up_to = meta.get("catch_up_to")
        # demoted by force, its log not yet compared with the new primary's: it may hold divergent records
        self.reverting = meta.get("reverting", False)
        self.on_resync_change = lambda: None  # the instance's status follows it
        self.data = {r["key"]: (r["lsn"], r["value"]) for r in self.log.records}
        self.writes_blocked = None  # a reason while a planned failover holds writes
        self.other_primary = None  # set by the link when the partner also claims to be primary
        self.commit_gate = None  # async callable(lsn): waits for the partner in synchronous mode
        self._pending = []
        self._next_lsn = self.tip + 1  # LSNs are handed out at commit, before the batch reaches the disk
        self._flushing = False
        self._changed = asyncio.Event()

    # -- persistence ------------------------------------------------------------------------------
    def _save(self):
        jsonfile.save(self._meta_path, {"role": self.role, "epochs": self.epochs, "counters": self.counters,
                                        "discards": self.discards, "discards_reported": self.discards_reported,
                                        "catch_up_to": self.catch_up_to, "reverting": self.reverting})

    @property
    def tip(self):
        return self.log.tip

    @property
    def epoch(self):
        return self.epochs[-1][0]

    @property
    def last_assigned_lsn(self):
        """The last LSN handed to a commit, durable or still on its way to the disk."""
        return self._next_lsn - 1

    def has_user_transactions(self):
        return self.counters["local_writes"] > 0

    # -- writes on the primary --------------------------------------------------------------------
    async def commit(self, key, value):
        """Commit one write; returns its LSN once durable (and hardened by the partner in sync mode)."""
        if self.role != PRIMARY:
            raise WriteRefused(f"instance {self.name} is a SECONDARY replica; writes go to the primary")
        if self.writes_blocked:
            raise WriteRefused(f"instance {self.name} is not accepting writes: {self.writes_blocked}")
        lsn = self._next_lsn
        self._next_lsn += 1
        record = {"lsn": lsn, "epoch": self.epoch, "key": key, "value": value, "ts": round(time.time(), 6)}
        done = asyncio.get_running_loop().create_future()
        self._pending.append((record, done))
        if not self._flushing:
            asyncio.get_running_loop().create_task(self._flush())
        await done
        if self.commit_gate is not None:
            await self.commit_gate(lsn)
        return lsn

    async def _flush(self):
        """Group commit: everything pending goes to disk with one fsync."""
        self._flushing = True
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                records = [r for r, unused in batch]
                try:
                    await asyncio.to_thread(self.log.append, records)
                except OSError as exc:
                    self._fail(batch, WriteRefused(f"instance {self.name} could not harden its log: {exc}"))
                    raise
                for record, done in batch:
                    self.data[record["key"]] = (record["lsn"], record["value"])
                    self.counters["local_writes"] += 1
                    if self.other_primary:
                        self.counters["split_brain_writes"] += 1
                    if not done.done():
                        done.set_result(record["lsn"])
                self._save()
                self._notify()
        finally:
            self._flushing = False

    async def flushed(self):
        """Wait until every commit already given an LSN is in the log (or failed)."""
        while self.tip < self.last_assigned_lsn:
            await self.wait_change(0.05)

    def _fail(self, batch, error):
        self._next_lsn = self.tip + 1
        for unused, done in batch + self._pending:
            if not done.done():
                done.set_exception(error)
        self._pending = []

    # -- replication on the secondary -------------------------------------------------------------
    async def apply(self, records):
        """Harden records streamed by the primary; returns the new tip."""
        if not records:
            return self.tip
        await asyncio.to_thread(self.log.append, records)
        self._next_lsn = self.tip + 1
        for record in records:
            self.data[record["key"]] = (record["lsn"], record["value"])
            if record["epoch"] != history.epoch_at(self.epochs, record["lsn"]):
                self.epochs.append([record["epoch"], record["lsn"]])
        caught_up = self.catch_up_to is not None and self.tip >= self.catch_up_to
        if caught_up:
            self.catch_up_to = None
        self._save()
        self._notify()
        if caught_up:
            self.on_resync_change()
        return self.tip

    def discard_after(self, lsn, primary_tip=None):
        """Rejoin: drop divergent records after the common point `lsn`; returns how many were discarded.
        The database is then not synchronized until it holds the primary's log up to `primary_tip` (the
        primary's last LSN when it asked for the discard)."""
        dropped = self.log.truncate(lsn)
        was_reverting, self.reverting = self.reverting, False  # the log is the primary's up to `lsn` now
        self._next_lsn = self.tip + 1
        self.epochs = [e for e in self.epochs if e[1] <= lsn] or history.initial(self.name)
        self.data = {r["key"]: (r["lsn"], r["value"]) for r in self.log.records}
        self.counters["last_discarded"] = len(dropped)
        self.counters["discarded_on_rejoin"] += len(dropped)
        if dropped:
            catch_up_to = max(lsn, primary_tip or 0)
            self.discards.append({"count": len(dropped), "first_lsn": dropped[0]["lsn"],
                                  "last_lsn": dropped[-1]["lsn"], "catch_up_to": catch_up_to})
            self.catch_up_to = catch_up_to if catch_up_to > lsn else None
        self._save()
        self._notify()
        if dropped or was_reverting:
            self.on_resync_change()
        return len(dropped)

    def log_matches_primary(self):
        """The primary compared the two logs and this one holds nothing the primary does not: nothing to revert."""
        if not self.reverting:
            return
        self.reverting = False
        self._save()
        self.on_resync_change()

    # -- roles ------------------------------------------------------------------------------------
    def promote(self, partner_epochs=(), partner_tip=None):
        """Become primary at the current tip, starting a new epoch after any this side or the partner knew.
        `partner_tip` is the last committed LSN the partner reported: what it committed beyond our tip is
        lost by this promotion (at least that much: it may have committed more since it last reported)."""
        self.role = PRIMARY
        self.epochs.append([history.next_epoch(self.name, self.epochs, partner_epochs or []), self.tip + 1])
        self.counters["promoted_at_lsn"] = self.tip
        self.counters["partner_lsn_at_promotion"] = partner_tip
        self.counters["lost_at_promotion_at_least"] = max(0, (partner_tip or 0) - self.tip)
        self.other_primary = None
        # a primary is what others follow: nothing to revert or catch up with
        was_resyncing = self.catch_up_to is not None or self.reverting
        self.catch_up_to, self.reverting = None, False
        self._save()
        if was_resyncing:
            self.on_resync_change()
        self._notify()

    def demote(self, forced=False):
        """Become secondary. `forced` (force-secondary): the log may hold records the new primary never had, so
        this side reverts, not synchronized, until the primary has compared the two logs."""
        self.role = SECONDARY
        self.other_primary = None
        self.reverting = self.reverting or forced
        self._save()
        self._notify()
        if forced:
            self.on_resync_change()

    # -- observation ------------------------------------------------------------------------------
    def _notify(self):
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_change(self, timeout):
        """Wait until the log or role changes, or `timeout` passes."""
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except asyncio.TimeoutError:
            pass

    def read(self, key):
        return self.data.get(key)

    @property
    def synchronization_health(self):
        """NOT_HEALTHY while reverting after a forced demotion, while catching up after a discard or before the
        discard is reported, HEALTHY otherwise (the link's state aside)."""
        unreported = self.discards_reported < len(self.discards)
        return "NOT_HEALTHY" if self.reverting or self.catch_up_to is not None or unreported else "HEALTHY"

    def unreported_discards(self):
        return self.discards[self.discards_reported:]

    def mark_discards_reported(self):
        self.discards_reported = len(self.discards)
        self._save()
        self.on_resync_change()

    def stats(self):
        last = self.discards[-1] if self.discards else None
        return {"instance": self.name, "role": self.role, "committed_lsn": self.tip, "epoch": self.epoch,
                "epochs": self.epochs, "writes_blocked": self.writes_blocked,
                "other_primary": self.other_primary, **self.counters,
                "last_discarded_lsns": [last["first_lsn"], last["last_lsn"]] if last else None,
                "discards": self.discards, "synchronization_health": self.synchronization_health,
                "catching_up_to_lsn": self.catch_up_to, "reverting": self.reverting}

    def close(self):
        self.log.close()
