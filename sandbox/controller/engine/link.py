"""The mirroring link of one instance to its DAG partner: two TLS connections, one each way.

As with SQL Server's database mirroring endpoints, each side connects to the other's endpoint
and sends its own traffic on its outbound connection: the primary its log records, the
secondary its acknowledgements. Both connections authenticate with certificates: each side
presents its own mirroring certificate and accepts only the one pinned in its DAG spec
(`partnerMirroringCert`), then the hello/welcome exchange checks the DAG name, both instance
names and the roles. Any mismatch leaves the link down with the cause, which the DAG status
reports. Once both connections are up the primary finds the common point of the two logs
(discarding a rejoining secondary's divergent records, which leaves it not synchronized until it
has caught up), streams the rest, and in synchronous mode holds each commit until the secondary
has hardened it. A partner silent for the session
timeout is DISCONNECTED and the primary carries on alone.
"""
import asyncio
import json
import logging
import ssl
import time

from . import history
from .channel import MAX_MESSAGE_BYTES, Channel, ChannelClosed, open_connection
from .database import PRIMARY, SECONDARY

LOG = logging.getLogger(__name__)
HANDSHAKE_TIMEOUT = 5.0
RECONNECT_PAUSE = 0.5
BATCH = 500
PARTITION_POLL = 0.05
# a batch is one message: well under what the partner's reader takes, however large the records
BATCH_BYTES = MAX_MESSAGE_BYTES // 4


class LinkSpec:
    """What the link needs from the DAG spec (either field layout)."""

    def __init__(self, shared_name, local, partner, partner_url, partner_cert, sync_mode):
        self.shared_name, self.local, self.partner = shared_name, local, partner
        self.partner_url, self.partner_cert, self.sync_mode = partner_url, partner_cert, sync_mode

    def key(self):
        return (self.shared_name, self.local, self.partner, self.partner_url, self.partner_cert, self.sync_mode)

    def address(self):
        """(host, port) of `tcp://host:port`; the URL was validated by the DAG reconciler."""
        host, port = self.partner_url[len("tcp://"):].rsplit(":", 1)
        return host, int(port)


class FailoverError(Exception):
    """A role change could not be carried out; the message is what status.results reports."""


class MirroringLink:
    def __init__(self, database, cert_path, key_path, timings, partition, on_change, on_promote_request):
        self.db = database
        self._cert, self._key = str(cert_path), str(key_path)
        self.timings = timings
        self.partition = partition
        self._on_change = on_change
        self._on_promote_request = on_promote_request
        self.spec = None
        self.outbound = self.inbound = None
        self.out_error = self.in_error = None
        self.partner = {}  # the partner's last word: role, epoch, epochs, tip, sync
        self.partner_hardened = 0
        self.force_sync = False
        self._stream_next = None  # next LSN to send the partner; None: find the common point first
        self._stream_epoch = None  # the term the stream position belongs to
        self._last_heard = 0.0
        self._acked = asyncio.Event()
        self._promoted = asyncio.Event()
        self._handover_epoch = None  # the term this side handed over in, until the partner confirms it took over
        # the partner's request to take over, received while no controller was there to carry it out (the SQL
        # engine keeps it for the session it came on; a restarted controller finds it and acts)
        self.pending_promotion = None
        self._tasks = []

    def rebind(self, on_change, on_promote_request):
        """Report to (and take promotion requests through) the controller that runs now; None for either while
        no controller runs (a restart): changes are then not reported and a promotion request waits."""
        self._on_change = on_change or (lambda: None)
        self._on_promote_request = on_promote_request

    # -- configuration ----------------------------------------------------------------------------
    def configure(self, spec):
        if self.spec is not None and spec.key() == self.spec.key():
            return
        self.spec = spec
        self.out_error = self.in_error = None
        self._drop_session("the failover group spec changed")
        if not self._tasks:
            loop = asyncio.get_running_loop()
            loops = (self._connect_loop, self._stream_loop, self._heartbeat_loop)
            self._tasks = [loop.create_task(self._guard(each)) for each in loops]
        self._changed()

    async def stop(self):
        for task in self._tasks:
            task.cancel()
        self._tasks = []
        self._drop_session("the failover group was removed")
        self.spec = None
        self.db.commit_gate = None

    async def _guard(self, loop_function):
        """Run a background loop; a bug in it is logged and the loop restarted, never silently lost."""
        while True:
            try:
                await loop_function()
                return
            except asyncio.CancelledError:
                raise
            except Exception:  # pylint: disable=broad-except
                LOG.exception("%s: mirroring link loop %s failed; restarting it", self.db.name, loop_function.__name__)
                await asyncio.sleep(RECONNECT_PAUSE)

    def _changed(self):
        self._on_change()

    def notify_change(self):
        """Something the link reports changed outside it (the database caught up): the DAG status follows."""
        self._changed()

    # -- TLS: our certificate out, only the pinned partner certificate in --------------------------
    def _context(self, purpose):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if purpose == "server" else ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.check_hostname = False  # identity is the pinned certificate, not a host name
        context.verify_mode = ssl.CERT_REQUIRED
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # trust the pinned leaf itself
        context.load_cert_chain(self._cert, self._key)
        context.load_verify_locations(cadata=self.spec.partner_cert)
        return context

    # -- state ------------------------------------------------------------------------------------
    @property
    def session_up(self):
        return bool(self.outbound and not self.outbound.closed and self.inbound and not self.inbound.closed)

    def restart_sessions(self, why):
        """Close both connections; they are made again (with whatever certificates are current)."""
        self._drop_session(why)

    def _drop_session(self, why):
        for channel in (self.outbound, self.inbound):
            if channel is not None:
                channel.close()
        if self.outbound or self.inbound:
            LOG.info("%s: link to %s down: %s", self.db.name, self.spec.partner if self.spec else "?", why)
        self.outbound = self.inbound = None
        self._stream_next = None
        self.pending_promotion = None  # a request from an ended session is never acted on later
        self._acked.set()  # release synchronous commits: the partner is gone
        self._changed()

    def sync_effective(self):
        if not self.session_up or self.partner.get("role") != SECONDARY or self.db.role != PRIMARY:
            return False
        return self.force_sync or (self.spec.sync_mode == "sync" and self.partner.get("sync") == "sync")

    def _my_word(self):
        return {"dag": self.spec.shared_name, "from": self.spec.local, "to": self.spec.partner, "role": self.db.role,
                "epoch": self.db.epoch, "epochs": self.db.epochs, "tip": self.db.tip, "sync": self.spec.sync_mode,
                "health": self.db.synchronization_health}

    # -- inbound: the partner's connection to our endpoint -----------------------------------------
    async def accept(self, reader, writer):
        peer = "%s:%s" % writer.get_extra_info("peername")[:2]
        if self.spec is None or self.partition.active:
            writer.close()
            return
        try:
            await asyncio.wait_for(writer.start_tls(self._context("server")), HANDSHAKE_TIMEOUT)
        except (ssl.SSLError, ConnectionError, OSError, asyncio.TimeoutError) as exc:
            self.in_error = (f"refused a connection from {peer}: its certificate is not the partner certificate "
                             f"pinned in partnerMirroringCert ({_reason(exc)})")
            writer.close()
            self._changed()
            return
        channel = Channel(reader, writer, peer)
        try:
            hello = await channel.receive(HANDSHAKE_TIMEOUT)
        except (ChannelClosed, asyncio.TimeoutError, ValueError):
            channel.close()
            return
        cause = self._check_hello(hello)
        self._note_partner(hello)
        self._settle_handover(hello)
        if cause:
            self.in_error = cause
            await _send_quietly(channel, {"type": "reject", "reason": cause, **self._my_word()})
            channel.close()
            self._changed()
            return
        await _send_quietly(channel, {"type": "welcome", **self._my_word()})
        if self.inbound is not None:
            self.inbound.close()
        self.inbound, self.in_error = channel, None
        self._last_heard = time.monotonic()
        asyncio.get_running_loop().create_task(self._guard(lambda: self._read_loop(channel)))
        await self._session_maybe_started()

    def _check_hello(self, hello):
        spec, me = self.spec, self.spec.local
        if hello.get("dag") != spec.shared_name:
            return (f"distributed availability group name mismatch: partner {hello.get('from')!r} uses "
                    f"{hello.get('dag')!r}, this side uses {spec.shared_name!r}")
        if hello.get("from") != spec.partner:
            return (f"connection from instance {hello.get('from')!r}, but this side's partner instance is "
                    f"{spec.partner!r}")
        if hello.get("to") != me:
            return (f"partner {hello.get('from')!r} expects instance {hello.get('to')!r} but this instance is "
                    f"{me!r}")
        return _role_conflict(self.db.role, hello.get("role"), hello.get("from"), hello.get("epoch"))

    def _note_partner(self, word):
        self.partner.update({k: word[k] for k in ("role", "epoch", "epochs", "tip", "sync", "health") if k in word})
        both_primary = self.db.role == PRIMARY and word.get("role") == PRIMARY
        self.db.other_primary = f"{word.get('from')} (epoch {word.get('epoch')})" if both_primary else None

    # -- outbound: our connection to the partner's endpoint ----------------------------------------
    async def _connect_loop(self):
        while True:
            if self.outbound is not None and not self.outbound.closed:
                await asyncio.sleep(RECONNECT_PAUSE)
                continue
            if self.partition.active:
                self.out_error = f"partner endpoint {self.spec.partner_url} is unreachable (network partition)"
                self._changed()
                await asyncio.sleep(RECONNECT_PAUSE)
                continue
            await self._connect_once()
            if self.outbound is None:
                await asyncio.sleep(RECONNECT_PAUSE)

    async def _connect_once(self):
        spec = self.spec
        host, port = spec.address()
        try:
            reader, writer = await asyncio.wait_for(
                open_connection(host, port, self._context("client")), HANDSHAKE_TIMEOUT)
        except ssl.SSLCertVerificationError as exc:
            return self._outbound_failed(f"the certificate presented by {spec.partner_url} is not the partner "
                                         f"certificate pinned in partnerMirroringCert ({exc.verify_message})")
        except (ssl.SSLError, ConnectionResetError) as exc:
            return self._outbound_failed(f"TLS handshake with {spec.partner_url} failed: {_reason(exc)}")
        except (OSError, asyncio.TimeoutError) as exc:
            return self._outbound_failed(f"cannot connect to partner endpoint {spec.partner_url}: {_reason(exc)}")
        channel = Channel(reader, writer, spec.partner_url)
        try:
            await channel.send({"type": "hello", **self._my_word()})
            answer = await channel.receive(HANDSHAKE_TIMEOUT)
        except (ChannelClosed, ssl.SSLError, asyncio.TimeoutError, ValueError) as exc:
            channel.close()
            return self._outbound_failed(f"partner endpoint {spec.partner_url} closed the handshake: it did not "
                                         "accept this instance's certificate (check the partner's "
                                         f"partnerMirroringCert) [{_reason(exc)}]")
        self._note_partner(answer)
        self._settle_handover(answer)
        if answer.get("type") != "welcome":
            channel.close()
            return self._outbound_failed(f"partner {spec.partner!r} at {spec.partner_url} refused the connection: "
                                         f"{answer.get('reason', 'no reason given')}")
        cause = _role_conflict(self.db.role, answer.get("role"), answer.get("from"), answer.get("epoch"))
        if cause:
            channel.close()
            return self._outbound_failed(cause)
        self.outbound, self.out_error = channel, None
        asyncio.get_running_loop().create_task(self._guard(lambda: self._read_loop(channel)))
        await self._session_maybe_started()
        return None

    def _outbound_failed(self, cause):
        if cause != self.out_error:
            LOG.info("%s: %s", self.db.name, cause)
        self.out_error = cause
        self._changed()

    async def _session_maybe_started(self):
        if self.session_up:
            self._stream_next = None
            self._last_heard = time.monotonic()
            LOG.info("%s: link to %s up", self.db.name, self.spec.partner)
            await self._send({"type": "status", **self._my_word()})
            self._changed()

    # -- traffic ----------------------------------------------------------------------------------
    async def _send(self, message):
        channel = self.outbound
        if channel is None or channel.closed or self.partition.active:
            return False
        try:
            await channel.send(message)
            return True
        except ChannelClosed as exc:
            self._drop_session(str(exc))
            return False

    async def _read_loop(self, channel):
        while not channel.closed:
            try:
                message = await channel.receive()
            except (ChannelClosed, ssl.SSLError, ValueError) as exc:
                if channel in (self.outbound, self.inbound):
                    self._drop_session(f"{_reason(exc)}")
                return
            if self.partition.active and not await self._partition_over(channel):
                return  # the session ended while the network was cut: the message went with it
            if channel is self.inbound:
                self._last_heard = time.monotonic()
                await self._handle(message)

    async def _partition_over(self, channel):
        """Wait out a network cut as TCP does: what was sent arrives when the cut ends, in order, unless
        the session ended first (session timeout, or a new connection replaced this one). Dropping it
        instead would leave a hole in the stream the primary never resends, since it already moved on."""
        while self.partition.active and not channel.closed:
            await asyncio.sleep(PARTITION_POLL)
        return not channel.closed

    async def _handle(self, message):
        kind = message.get("type")
        if kind == "status":
            self._note_partner(message)
            if self.db.role == PRIMARY and message.get("role") == PRIMARY:
                self._drop_session(f"partner {message.get('from')!r} is PRIMARY too: split brain")
            if message.get("role") == SECONDARY:
                # what it holds of OUR log: records past the point where the histories part are not ours
                self.partner_hardened = history.common_point(self.db.epochs, self.db.tip, message.get("epochs") or [],
                                                             message.get("tip", 0))
                self._acked.set()
            self._changed()
        elif kind == "ack":
            self.partner_hardened = max(self.partner_hardened, message["hardened"])
            self.partner["tip"] = self.partner_hardened
            self._acked.set()
            health = message.get("health")
            if health and health != self.partner.get("health"):
                self.partner["health"] = health  # it caught up (or fell out of step): the status must say so
                self._changed()
        elif kind == "truncate" and self.db.role == SECONDARY:
            discarded = self.db.discard_after(message["to"], message.get("tip"))
            LOG.info("%s: rejoined at LSN %s, discarded %s divergent transactions; catching up to LSN %s",
                     self.db.name, message["to"], discarded, message.get("tip"))
            await self._send({"type": "status", **self._my_word()})
            self._changed()
        elif kind == "records" and self.db.role == SECONDARY:
            first = message["records"][0]["lsn"] if message["records"] else self.db.tip + 1
            if first != self.db.tip + 1:
                # the primary's idea of this log is wrong (it holds records the primary did not send, or
                # lacks some): a new session makes it look again (common point, truncate)
                self._drop_session(f"log stream out of step: LSN {first} arrived, this log ends at {self.db.tip}")
                return
            tip = await self.db.apply(message["records"])
            self.partner["tip"] = max(self.partner.get("tip") or 0, message.get("tip") or 0)
            await self._send({"type": "ack", "hardened": tip, "health": self.db.synchronization_health})
        elif kind == "promote" and self.db.role == SECONDARY:
            if self._on_promote_request is None:
                LOG.info("%s: the partner asks it to take over; no controller runs to do it: the request waits",
                         self.db.name)
                self.pending_promotion = message
                return
            await self._on_promote_request(message)
            await self.confirm_promotion()
        elif kind == "promoted":
            self._handover_epoch = None
            self._promoted.set()

    def take_pending_promotion(self):
        """The partner's request to take over that waits for a controller, if any (it is taken once)."""
        pending, self.pending_promotion = self.pending_promotion, None
        return pending if pending and self.db.role == SECONDARY and self.session_up else None

    async def confirm_promotion(self):
        """Tell the partner this side took over (or, still SECONDARY, that it did not)."""
        await self._send({"type": "status", **self._my_word()})
        await self._send({"type": "promoted", "epoch": self.db.epoch})

    async def _stream_loop(self):
        """On the primary: bring the partner to the common point, then send every record it lacks."""
        while True:
            if not (self.session_up and self.db.role == PRIMARY and self.partner.get("role") == SECONDARY):
                await self.db.wait_change(0.2)
                continue
            if self._stream_epoch != self.db.epoch:  # a new term: the partner's log must be checked again
                self._stream_next, self._stream_epoch = None, self.db.epoch
            if self._stream_next is None:
                common = history.common_point(self.db.epochs, self.db.tip, self.partner.get("epochs") or [],
                                              self.partner.get("tip", 0))
                truncate = {"type": "truncate", "to": common, "tip": self.db.tip}
                if self.partner.get("tip", 0) > common and not await self._send(truncate):
                    await self.db.wait_change(0.2)  # not sent: records must not follow before it
                    continue
                self._stream_next = common + 1
            if self._stream_next > self.db.tip or self.partition.active:
                await self.db.wait_change(0.2)
                continue
            batch = _fit(self.db.log.after(self._stream_next - 1, self._batch_size()), BATCH_BYTES)
            # the primary's tip rides along: what a forced promotion would lose is known to the second
            if await self._send({"type": "records", "records": batch, "tip": self.db.tip}):
                self._stream_next += len(batch)
            if self.timings.seeding_rate:
                await asyncio.sleep(len(batch) / self.timings.seeding_rate)

    def _batch_size(self):
        rate = self.timings.seeding_rate
        return max(1, int(rate / 10)) if rate else BATCH

    async def _heartbeat_loop(self):
        while True:
            await asyncio.sleep(self.timings.heartbeat_seconds)
            if self.outbound is not None:
                await self._send({"type": "status", **self._my_word()})
            silent = time.monotonic() - self._last_heard
            if self.inbound is not None and silent > self.timings.session_timeout_seconds:
                self.in_error = (f"no message from partner {self.spec.partner!r} for {silent:.0f} s "
                                 f"(session timeout {self.timings.session_timeout_seconds:g} s): DISCONNECTED")
                self._drop_session(self.in_error)

    # -- synchronous commit -----------------------------------------------------------------------
    async def commit_gate(self, lsn):
        """Hold a commit until the partner hardened it, while synchronous mode is in effect."""
        while self.sync_effective() and self.partner_hardened < lsn:
            self._acked.clear()
            try:
                await asyncio.wait_for(self._acked.wait(), self.timings.heartbeat_seconds)
            except asyncio.TimeoutError:
                pass

    # -- role changes -----------------------------------------------------------------------------
    async def planned_failover(self):
        """Switch roles with the partner without losing a committed transaction, or leave them as they were."""
        spec, db = self.spec, self.db
        if not self.session_up:
            raise FailoverError(f"planned failover refused: partner {spec.partner!r} is not connected "
                                f"({self.cause() or 'no connection'}); a planned failover needs a connected partner")
        db.writes_blocked = f"planned failover to {spec.partner} in progress"
        self.force_sync = True
        self._changed()
        try:
            deadline = time.monotonic() + self.timings.failover_timeout_seconds
            while self.partner_hardened < db.tip or db.tip < db.last_assigned_lsn:
                if not self.session_up or time.monotonic() > deadline:
                    raise FailoverError(
                        f"planned failover abandoned: partner {spec.partner!r} hardened LSN {self.partner_hardened} "
                        f"of {db.tip} within {self.timings.failover_timeout_seconds:g} s"
                        f"{'' if self.session_up else ' and the link went down'}; {db.name} stays PRIMARY and "
                        "accepts writes again")
                self._acked.clear()
                try:
                    await asyncio.wait_for(self._acked.wait(), 0.2)
                except asyncio.TimeoutError:
                    pass
            self._promoted.clear()
            db.demote()
            await self._hand_over()
        finally:
            db.writes_blocked = None
            self.force_sync = False
            self._changed()
        await self._await_promotion()

    async def _hand_over(self):
        """Ask the partner to take over; if the request cannot leave, nobody would be primary: the
        failover is undone here (as FORCE_FAILOVER_ALLOW_DATA_LOSS on the old primary undoes it)."""
        db = self.db
        if (await self._send({"type": "status", **self._my_word()})
                and await self._send({"type": "promote", "lsn": db.tip, "epoch": db.epoch, "planned": True})):
            self._handover_epoch = db.epoch
            return
        db.promote(self.partner.get("epochs") or [])
        why = "network partition" if self.partition.active else self.cause() or "link down"
        raise FailoverError(f"planned failover abandoned: partner {self.spec.partner!r} became unreachable "
                            f"before it could be told to take over ({why}); "
                            f"{db.name} stays PRIMARY and accepts writes again")

    def handover_lost(self):
        """Demoted for a planned failover, but the partner was never asked to take over (the controller died
        between the two steps): neither side is PRIMARY."""
        return (self.db.role == SECONDARY and self._handover_epoch is None and self.session_up
                and self.partner.get("role") == SECONDARY)

    async def finish_handover(self):
        """Ask the partner to take over now, as the interrupted planned failover would have (see handover_lost)."""
        self._promoted.clear()
        await self._hand_over()
        await self._await_promotion()

    async def demote_now(self):
        """force-secondary: demote at once; a connected partner is asked to take over at its own tip."""
        self._promoted.clear()
        self.db.demote()
        self._changed()
        # a commit in flight lands after the demotion: the partner must learn the final tip, or it
        # would not truncate that record when it takes over
        await self.db.flushed()
        if self.session_up:
            await self._send({"type": "status", **self._my_word()})
            await self._send({"type": "promote", "lsn": self.db.tip, "epoch": self.db.epoch, "planned": False})

    async def _await_promotion(self):
        try:
            await asyncio.wait_for(self._promoted.wait(), self.timings.failover_timeout_seconds)
            if self.db.role == PRIMARY:
                raise FailoverError(f"planned failover abandoned: partner {self.spec.partner!r} never took over "
                                    f"(it returned still SECONDARY); {self.db.name} took the primary role back and "
                                    "accepts writes again")
        except asyncio.TimeoutError:
            # the request left, so the partner may have taken over: taking the role back now could make
            # two primaries. The partner's word on the next session settles it (_settle_handover).
            why = "network partition" if self.partition.active else self.cause() or "no answer"
            raise FailoverError(f"{self.db.name} is SECONDARY now, but partner {self.spec.partner!r} did not confirm "
                                f"its promotion within {self.timings.failover_timeout_seconds:g} s ({why}); when the "
                                f"link returns, {self.db.name} takes the primary role back if the partner never took "
                                f"over. Until then no side may take writes; if that cannot wait, set role "
                                f"force-primary-allow-data-loss on {self.db.name} (it holds every committed "
                                "transaction)")

    def _settle_handover(self, word):
        """The first word of a new session tells whether an unconfirmed handover happened: a partner still
        SECONDARY that started no term after the one we handed over in never took over (a request from an
        ended session is never acted on later), so this side takes the primary role back instead of
        leaving none."""
        if self._handover_epoch is None or self.db.role != SECONDARY:
            self._handover_epoch = None
            return
        if word.get("role") == PRIMARY:
            self._handover_epoch = None  # it did take over; only its confirmation was lost
            self._promoted.set()
        elif word.get("role") == SECONDARY and history.term(word.get("epoch") or 0) <= history.term(
                self._handover_epoch):
            LOG.warning("%s: partner %s never took over after the planned failover; taking the primary role back",
                        self.db.name, word.get("from"))
            self._handover_epoch = None
            self.db.promote(word.get("epochs") or [])
            self._promoted.set()  # settled, if the failover still waits for it
            self._changed()

    def force_promote(self):
        """force-primary-allow-data-loss: primary at the last hardened LSN, whatever the partner says."""
        self.db.promote(self.partner.get("epochs") or [], self.partner.get("tip"))
        if self.session_up and self.partner.get("role") == PRIMARY:
            self._drop_session("promoted while the partner is PRIMARY")
        self._stream_next = None
        self._changed()

    # -- reporting --------------------------------------------------------------------------------
    def cause(self):
        """Why the link is not up (or not healthy), in the words status.results uses; '' when all is well."""
        if self.db.other_primary:
            return (f"another primary exists: partner {self.db.other_primary} also reports PRIMARY (split brain); "
                    + self._split_brain_advice())
        if self.session_up:
            return ""
        if self.out_error:
            return self.out_error
        if self.in_error:
            return self.in_error
        return f"waiting for partner {self.spec.partner!r} to connect to this instance's mirroring endpoint"

    def _split_brain_advice(self):
        """Which of the two primaries is the stale one: the one whose term (epoch) is older."""
        mine, theirs = self.db.epoch, self.partner.get("epoch")
        if theirs and history.term(theirs) > history.term(mine):
            return (f"the partner's term {theirs} is newer than this instance's {mine}: this instance is the stale "
                    "primary; rejoin it with role force-secondary")
        if theirs and history.term(theirs) < history.term(mine):
            return (f"this instance's term {mine} is newer than the partner's {theirs}: the partner is the stale "
                    "primary; rejoin the partner with role force-secondary")
        return "demote the instance that must rejoin with role force-secondary"

    def snapshot(self):
        return {
            "connected": self.session_up,
            "cause": self.cause(),
            "partner_role": self.partner.get("role"),
            "partner_sync": self.partner.get("sync"),
            "partner_hardened": self.partner_hardened,
            "sync_effective": self.sync_effective(),
            "catching_up": self.session_up and self.db.role == PRIMARY and self.partner_hardened < self.db.tip,
            # synchronizationState of each side's databases, as replicas[] reports it: HEALTHY only while
            # connected and not catching up after a discarded divergent log
            "synchronization_health": self._health(self.db.synchronization_health),
            "partner_synchronization_health": self._health(self.partner.get("health", "HEALTHY")),
        }

    def _health(self, database_health):
        return database_health if self.session_up else "NOT_HEALTHY"


def _fit(records, limit):
    """The leading records whose encoded size stays within `limit` (at least one)."""
    size = 0
    for count, record in enumerate(records):
        size += len(json.dumps(record, separators=(",", ":"))) + 1
        if size > limit and count:
            return records[:count]
    return records


def _role_conflict(mine, theirs, partner, epoch):
    if mine == PRIMARY and theirs == PRIMARY:
        return f"both sides are PRIMARY: partner {partner!r} (epoch {epoch}) also claims the primary role"
    if mine == SECONDARY and theirs == SECONDARY:
        return f"both sides are SECONDARY: neither this instance nor partner {partner!r} is primary"
    return None


async def _send_quietly(channel, message):
    try:
        await channel.send(message)
    except ChannelClosed:
        pass


def _reason(exc):
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, asyncio.TimeoutError):
        return f"no answer within {HANDSHAKE_TIMEOUT:g} s"
    text = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return str(text)
