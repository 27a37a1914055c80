"""FailoverGroup / Dag reconcile: one engine for both field layouts.

Each new generation is handled once: validated, then the instance's mirroring link is configured
and any role change carried out (planned failover, forced promotion, demotion). The status says
where that stands: a non-terminal state while it runs (observedGeneration not yet advanced), then
Succeeded or Failed with the cause in `results`, and between changes the link's health (role,
replicas, healthState, results) as it evolves. The site's behaviour profile (behaviour.py) decides
what `state` follows (the link, or the applied configuration) and which fields carry what
(dag_status.py); every handled generation is reported by a status write with a new lastUpdateTime.
"""
import asyncio
import dataclasses
import logging
import time

from kubernetes.client.rest import ApiException

from . import dag_spec, dag_status, jsonfile
from .behaviour import DEFAULT, PROFILES
from .clock import now
from .engine.database import PRIMARY, SECONDARY
from .engine.link import FailoverError, LinkSpec
from .reconnects import Reconnects

LOG = logging.getLogger(__name__)


class Operation:
    """What the last handled generation asked for, and how it went."""

    def __init__(self, kind, deadline=None):
        self.kind = kind  # "connect", "failover", "demote", "promote", "invalid", "waiting"
        self.deadline = deadline
        self.running = kind in ("failover",)
        self.error = ""
        self.resumable = False  # a handled generation waiting for its instance after a restart


class DagReconciler:
    def __init__(self, gateway, kind, parse, instances, state_dir, timings, behaviour=PROFILES[DEFAULT]):
        self.gateway, self.kind, self.parse = gateway, kind, parse
        self.instances, self.state_dir, self.timings = instances, state_dir, timings
        self.behaviour = behaviour
        self.informer = None
        self.queue = None
        self.operations = {}  # DAG name -> Operation
        self.reported = {}  # DAG name -> the generation its last status write reported
        self.reconnects = Reconnects(behaviour.dag_transient_failed_seconds, self._requeue)
        self._tasks = set()  # role changes this controller drives: they end with it

    def _spawn(self, coroutine):
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def stop(self):
        """The controller dies: the role changes it drives stop where they are (the engines run on)."""
        for task in list(self._tasks):
            task.cancel()

    def _requeue(self, name):
        self.queue.add(name)  # the queue is set by the controller after construction

    # -- bookkeeping of handled generations (survives a controller restart) ------------------------
    def _memory_path(self, obj):
        return self.state_dir / f"{obj['metadata']['uid']}.json"

    def _memory(self, obj):
        return jsonfile.load(self._memory_path(obj), {})

    def instance_changed(self, instance):
        for name, obj in self.informer.objects.items():
            if self.parse(obj).source_mi == instance:
                self.queue.add(name)

    # -- reconcile --------------------------------------------------------------------------------
    async def reconcile(self, name):
        obj = self.informer.objects.get(name)
        if obj is None:
            await self._release(name)
            return
        spec = self.parse(obj)
        memory = self._memory(obj)
        if memory.get("generation") != obj["metadata"]["generation"]:
            await self._handle_generation(obj, spec, memory)
        await self._refresh_status(obj, spec)

    async def _release(self, name):
        self.operations.pop(name, None)
        self.reported.pop(name, None)
        self.reconnects.forget(name)
        for runtime in list(self.instances.runtimes.values()):
            if runtime.dag_name == name:
                await runtime.remove_link()
                LOG.info("failover group %s deleted: link of %s removed", name, runtime.name)

    async def _handle_generation(self, obj, spec, memory):
        name, generation = obj["metadata"]["name"], obj["metadata"]["generation"]
        creating = not memory.get("created")
        found = dag_spec.problems(spec, creating, self._previous_role(spec, memory))
        runtime = None
        if not found:
            runtime, missing, waiting = self._instance_for(name, spec)
            if waiting or missing:
                self.operations[name] = op = Operation("waiting" if waiting else "invalid")
                op.error = waiting or missing
                return  # not handled yet: tried again when the instance changes
            found = self._role_problems(runtime, spec, creating) + self._withdrawal_refused(spec, memory)
        if found:
            self.operations[name] = op = Operation("invalid")
            op.error = "; ".join(found)
            jsonfile.save(self._memory_path(obj), {**memory, "generation": generation})
            await self.gateway.event(obj, "InvalidSpec", op.error, "Warning")
            return
        change = self._role_change(runtime, spec, creating)
        if self.behaviour.dag_state == "link" or change in ("failover", "demote"):
            # "applied": nothing to wait for unless a role change runs; the first word is the outcome
            await self._report(obj, spec, "Creating" if creating else "Updating", "")
        if creating and spec.role == "secondary":
            runtime.db.demote()
        self._configure_link(name, runtime, spec)
        self.operations[name] = self._start_role_change(obj, runtime, spec, change)
        # what this generation asked for survives a restart (as in the controller's own database): a planned
        # failover the controller was driving when it died is resumed, not taken for done
        jsonfile.save(self._memory_path(obj), {"generation": generation, "role": spec.role, "created": True,
                                               "change": change})
        if change == "promote" and spec.sync_mode == "sync" and self.behaviour.sync_reset_after_forced_promotion:
            await self._reset_to_async(obj, runtime, spec)

    def _configure_link(self, name, runtime, spec, sync_mode=None):
        runtime.configure_link(name, LinkSpec(spec.shared_name, spec.source_mi, spec.partner_mi, spec.partner_url,
                                              spec.partner_cert, sync_mode or spec.sync_mode),
                               on_change=lambda: self.queue.add(name),
                               on_promote_request=lambda message: self._promote_requested(name, message))

    async def _reset_to_async(self, obj, runtime, spec):
        """After a forced promotion the partner sync mode goes back to async (arc-api.md §4.3, dr-semantics.md
        §2.5): on the link at once, then in the spec. The generation that rewrite makes is the controller's
        own: it is adopted as handled, not acted on again."""
        name = obj["metadata"]["name"]
        self._configure_link(name, runtime, spec, "async")
        patch = spec.field_patch("sync_mode", "async")
        if patch is None:
            return
        try:
            patched = await self.gateway.patch_spec(self.kind, name, patch)
        except ApiException as exc:
            LOG.warning("could not set the partner sync mode of %s back to async: %s", name, exc.reason)
            return
        if self.parse(patched) == dataclasses.replace(spec, sync_mode="async"):
            jsonfile.save(self._memory_path(obj), {"generation": patched["metadata"]["generation"],
                                                   "role": spec.role, "created": True})
        await self.gateway.event(obj, "PartnerSyncModeReset",
                                 f"{spec.source_mi} was promoted by force: the partner sync mode is async again "
                                 "(set it back to sync once the partner has rejoined, if wanted)")

    def _previous_role(self, spec, memory):
        """The role the last handled generation left the instance in. A planned switch the controller could not
        carry out (the link was down) leaves spec.role 'secondary' on an instance still PRIMARY: 'primary' may
        then be written back, which withdraws the request so that it can be asked for again. (The Arc CLI never
        writes 'primary' on update; whether Arc's controller accepts it is not documented: our choice.)"""
        runtime = self.instances.runtime(spec.source_mi)
        if memory.get("role") == "secondary" and runtime is not None and runtime.db.role == PRIMARY:
            return "primary"
        return memory.get("role")

    def _withdrawal_refused(self, spec, memory):
        """`primary` written to withdraw a planned failover the controller abandoned: a profile whose controller
        does not accept `primary` on update (as az refuses it) fails that generation and changes nothing."""
        runtime = self.instances.runtime(spec.source_mi)
        withdrawal = (spec.role == "primary" and memory.get("role") == "secondary" and runtime is not None
                      and runtime.db.role == PRIMARY)
        if not withdrawal or self.behaviour.withdrawal_accepts_primary:
            return []
        return [f"{spec.fields['role']}: role 'primary' is not accepted on update (an update accepts one of "
                f"{', '.join(dag_spec.UPDATE_ROLES)}); nothing changed: {spec.source_mi} stays PRIMARY and the "
                "planned failover that was not carried out stays abandoned"]

    def _instance_for(self, name, spec):
        """(runtime, why it cannot be used, why it must be waited for) for the DAG's instance."""
        instance = self.instances.informer.objects.get(spec.source_mi)
        runtime = self.instances.runtime(spec.source_mi)
        if instance is None:
            return None, f"instance {spec.source_mi!r} does not exist in namespace {self.gateway.namespace!r}", None
        if runtime is None or (instance.get("status") or {}).get("state") != "Ready":
            return None, None, f"waiting for instance {spec.source_mi!r} to be Ready"
        if runtime.dag_name not in (None, name):
            return None, f"instance {spec.source_mi!r} already belongs to failover group {runtime.dag_name!r}", None
        return runtime, None, None

    @staticmethod
    def _role_problems(runtime, spec, creating):
        if creating and spec.role == "secondary" and runtime.db.has_user_transactions():
            return [f"instance {spec.source_mi!r} already has user transactions "
                    f"({runtime.db.counters['local_writes']} committed writes): a DR secondary must be a new "
                    "instance without user objects"]
        return []

    @staticmethod
    def _role_change(runtime, spec, creating):
        """What the generation asks the instance to do: failover, demote, promote, or nothing but connect."""
        current = runtime.db.role
        if not creating and spec.role == "secondary" and current == PRIMARY:
            return "failover"
        if not creating and spec.role == "force-secondary" and current == PRIMARY:
            return "demote"
        if not creating and spec.role == "force-primary-allow-data-loss" and current == SECONDARY:
            return "promote"
        return "connect"

    def _start_role_change(self, obj, runtime, spec, change):
        name = obj["metadata"]["name"]
        if change == "failover":
            return self._run(obj, Operation("failover"), runtime.link.planned_failover(), "PlannedFailover")
        if change == "demote":
            return self._run(obj, Operation("failover"), runtime.link.demote_now(), "ForcedDemotion")
        if change == "promote":
            runtime.link.force_promote()
            self._spawn(self.gateway.event(
                obj, "ForcedFailover", f"{spec.source_mi} promoted to PRIMARY at LSN {runtime.db.tip} "
                                       f"(epoch {runtime.db.epoch}); transactions its partner had not sent are lost"))
            return Operation("promote")
        deadline = time.monotonic() + self.timings.connect_timeout_seconds
        if self.behaviour.dag_state == "link":
            asyncio.get_running_loop().call_later(self.timings.connect_timeout_seconds + 0.05, self.queue.add, name)
        return Operation("connect", deadline)

    def _run(self, obj, operation, work, reason):
        name = obj["metadata"]["name"]

        async def run():
            try:
                await work
                await self.gateway.event(obj, reason, f"{reason} of {name} completed")
            except FailoverError as exc:
                operation.error = str(exc)
                await self.gateway.event(obj, f"{reason}Failed", operation.error, "Warning")
            finally:
                operation.running = False
                self.queue.add(name)
        self._spawn(run())
        return operation

    async def _promote_requested(self, name, message):
        """The partner demoted itself and hands over: become primary, and say so in our own spec, as
        the real controller does (it rewrites its CR's role to force-primary-allow-data-loss)."""
        obj = self.informer.objects.get(name)
        runtime = self.instances.runtimes.get(self.parse(obj).source_mi) if obj else None
        if runtime is None:
            return
        runtime.link.force_promote()
        LOG.info("%s: promoted to PRIMARY at LSN %s on the partner's request (partner LSN %s)", runtime.name,
                 runtime.db.tip, message.get("lsn"))
        self.operations[name] = Operation("promote")
        if self.behaviour.partner_rewrites_role:
            try:
                await self.gateway.patch_spec(self.kind, name,
                                              self.parse(obj).role_patch("force-primary-allow-data-loss"))
            except ApiException as exc:
                LOG.warning("could not rewrite the role of %s: %s", name, exc.reason)
        await self.gateway.event(obj, "PromotedByPartner",
                                 f"{runtime.name} is PRIMARY at LSN {runtime.db.tip}; the partner demoted itself")

    # -- status -----------------------------------------------------------------------------------
    async def _refresh_status(self, obj, spec):
        name = obj["metadata"]["name"]
        operation = self.operations.get(name)
        runtime = self.instances.runtimes.get(spec.source_mi)
        if operation is None or operation.resumable:
            # the controller restarted: the handled generation stands and the link resumes once the
            # instance runs again
            operation = self.operations[name] = self._resume(obj, spec, runtime)
        if operation.kind == "waiting":
            await self._report(obj, spec, "Creating", operation.error)
            return
        if operation.kind == "invalid" or runtime is None or runtime.link is None:
            # the role stays reported while the instance belongs to this DAG (a refused update changes nothing)
            owned = runtime is not None and runtime.dag_name == name
            await self._report(obj, spec, "Failed", operation.error or "instance not running",
                               role=_role_word(runtime.db.role) if owned else None)
            return
        link = runtime.link.snapshot()
        state, cause = self._outcome(operation, link)
        role = _role_word(runtime.db.role)
        if self.reconnects.settling(name, link["connected"]):
            state, role = "Failed", "Unknown"
        health = "OK" if link["connected"] and not runtime.db.other_primary else "Error"
        await self._report(obj, spec, state, cause, role, (health, _replicas(spec, runtime, link)))

    def _resume(self, obj, spec, runtime):
        name = obj["metadata"]["name"]
        if self._memory(obj).get("generation") == obj["metadata"]["generation"]:
            self.reported.setdefault(name, obj["metadata"]["generation"])  # reported before the restart
        if runtime is None:
            operation = Operation("waiting")
            operation.error = f"waiting for instance {spec.source_mi!r} to be Ready"
            operation.resumable = True
            return operation
        self._configure_link(name, runtime, spec)
        interrupted = self._interrupted_failover(obj, runtime)
        if interrupted is not None:
            return interrupted
        pending = runtime.link.take_pending_promotion()
        if pending is not None:  # the partner handed over while this controller was down: take over now
            self._spawn(self._carry_out_promotion(name, runtime, pending))
        return Operation("resumed")

    def _interrupted_failover(self, obj, runtime):
        """After a restart, the planned failover of this generation if the controller died while it ran (its
        status still says so): carried out again where it stopped. One whose failure was reported before the
        restart stays reported. None when there is none."""
        status = obj.get("status") or {}
        if self._memory(obj).get("change") != "failover" or status.get("state") not in ("Updating", "Failed"):
            return None
        name = obj["metadata"]["name"]
        if status.get("state") == "Failed" and status.get("role") != "Unknown":  # (not the transient Failed)
            operation = Operation("resumed")
            operation.error = status.get("message") or status.get("results") or "planned failover not carried out"
            return operation
        if runtime.link.handover_lost():
            LOG.info("%s: the controller restarted between the demotion and the handover; handing over now", name)
            return self._run(obj, Operation("failover"), runtime.link.finish_handover(), "PlannedFailover")
        if runtime.db.role != PRIMARY:
            return None  # it happened: only its report was missing
        LOG.info("%s: the controller restarted during its planned failover; carrying it out again", name)
        self._spawn(self.gateway.event(obj, "PlannedFailoverResumed", f"the controller restarted while the planned "
                                       f"failover of {name} ran; it is carried out again"))
        return self._run(obj, Operation("failover"), runtime.link.planned_failover(), "PlannedFailover")

    async def _carry_out_promotion(self, name, runtime, request):
        await self._promote_requested(name, request)
        await runtime.link.confirm_promotion()

    def _outcome(self, operation, link):
        if operation.running:
            return "Updating", ""
        if operation.error:
            return "Failed", operation.error
        if operation.kind == "connect" and self.behaviour.dag_state == "link" and not link["connected"]:
            if time.monotonic() < operation.deadline:
                return "Updating", ""
            return "Failed", link["cause"]
        if operation.kind == "connect":
            operation.kind = "connected"  # from now on the state stays Succeeded; results tell the link's health
        return "Succeeded", link["cause"]

    async def _report(self, obj, spec, state, cause, role=None, link=None):
        """Write the status that says `state` (and why: `cause`), shaped by the behaviour profile."""
        facts = {"state": state, "cause": cause, "instance": spec.source_mi, "role": role, "link": link,
                 "generation": obj["metadata"]["generation"]}
        await self._write_status(obj, dag_status.shape(self.behaviour, obj.get("status") or {}, facts))

    async def _write_status(self, obj, status):
        """Patch the status with a new lastUpdateTime. An unchanged status is not written again, except the
        first report of a generation: where observedGeneration is not reported, a new lastUpdateTime is how a
        reader knows the controller has handled its write."""
        name, generation = obj["metadata"]["name"], obj["metadata"]["generation"]
        current = obj.get("status") or {}
        if self.reported.get(name) == generation and all(current.get(k) == v for k, v in status.items()):
            return
        try:
            await self.gateway.patch_status(self.kind, name, {**status, "lastUpdateTime": now()})
        except ApiException as exc:
            if exc.status != 404:
                raise
            return
        self.reported[name] = generation


def _role_word(role):
    return {PRIMARY: "Primary", SECONDARY: "Secondary"}.get(role, "Unknown")


def _mode(sync_mode):
    return "SYNCHRONOUS_COMMIT" if sync_mode == "sync" else "ASYNCHRONOUS_COMMIT"


def _replicas(spec, runtime, link):
    connected = "CONNECTED" if link["connected"] else "DISCONNECTED"
    entry_health = "OK" if link["connected"] else "Error"
    # a side that discarded its divergent log stays NOT_HEALTHY until it has caught up (the engine knows)
    own_health = link.get("synchronization_health") or ("HEALTHY" if link["connected"] else "NOT_HEALTHY")
    partner_health = link.get("partner_synchronization_health") or own_health
    return [
        {"replicaName": spec.source_mi, "role": runtime.db.role, "availabilityMode": _mode(spec.sync_mode),
         "connectedState": connected, "synchronizationState": own_health, "secondaryRoleAllowConnections": "ALL",
         "healthState": entry_health},
        {"replicaName": spec.partner_mi, "role": link["partner_role"] or "UNKNOWN",
         "availabilityMode": _mode(link["partner_sync"]), "connectedState": connected,
         "synchronizationState": partner_health, "secondaryRoleAllowConnections": "ALL", "healthState": entry_health},
    ]
