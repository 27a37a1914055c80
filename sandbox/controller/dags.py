"""FailoverGroup / Dag reconcile: one engine for both field layouts.

Each new generation is handled once: validated, then the instance's mirroring link is configured
and any role change carried out (planned failover, forced promotion, demotion). The status says
where that stands: a non-terminal state while it runs (observedGeneration not yet advanced), then
Succeeded or Failed with the cause in `results`, and between changes the link's health (role,
replicas, healthState, results) as it evolves.
"""
import asyncio
import logging
import time

from kubernetes.client.rest import ApiException

from . import dag_spec, jsonfile
from .behaviour import DEFAULT, PROFILES
from .clock import now
from .engine.database import PRIMARY, SECONDARY
from .engine.link import FailoverError, LinkSpec

LOG = logging.getLogger(__name__)
TERMINAL = ("Succeeded", "Failed")


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
            found = self._role_problems(runtime, spec, creating)
        if found:
            self.operations[name] = op = Operation("invalid")
            op.error = "; ".join(found)
            jsonfile.save(self._memory_path(obj), {**memory, "generation": generation})
            await self.gateway.event(obj, "InvalidSpec", op.error, "Warning")
            return
        await self._write_status(obj, {"state": "Creating" if creating else "Updating", "results": ""})
        if creating and spec.role == "secondary":
            runtime.db.demote()
        runtime.configure_link(name, LinkSpec(spec.shared_name, spec.source_mi, spec.partner_mi, spec.partner_url,
                                              spec.partner_cert, spec.sync_mode),
                               on_change=lambda: self.queue.add(name),
                               on_promote_request=lambda message: self._promote_requested(name, message))
        self.operations[name] = self._start_role_change(obj, runtime, spec, creating)
        jsonfile.save(self._memory_path(obj), {"generation": generation, "role": spec.role, "created": True})

    def _previous_role(self, spec, memory):
        """The role the last handled generation left the instance in. A planned switch the controller could not
        carry out (the link was down) leaves spec.role 'secondary' on an instance still PRIMARY: 'primary' may
        then be written back, which withdraws the request so that it can be asked for again. (The Arc CLI never
        writes 'primary' on update; whether Arc's controller accepts it is not documented: our choice.)"""
        runtime = self.instances.runtime(spec.source_mi)
        if memory.get("role") == "secondary" and runtime is not None and runtime.db.role == PRIMARY:
            return "primary"
        return memory.get("role")

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

    def _start_role_change(self, obj, runtime, spec, creating):
        current = runtime.db.role
        name = obj["metadata"]["name"]
        if not creating and spec.role == "secondary" and current == PRIMARY:
            return self._run(obj, Operation("failover"), runtime.link.planned_failover(), "PlannedFailover")
        if not creating and spec.role == "force-secondary" and current == PRIMARY:
            return self._run(obj, Operation("failover"), runtime.link.demote_now(), "ForcedDemotion")
        if not creating and spec.role == "force-primary-allow-data-loss" and current == SECONDARY:
            runtime.link.force_promote()
            asyncio.get_running_loop().create_task(self.gateway.event(
                obj, "ForcedFailover", f"{spec.source_mi} promoted to PRIMARY at LSN {runtime.db.tip} "
                                       f"(epoch {runtime.db.epoch}); transactions its partner had not sent are lost"))
            return Operation("promote")
        deadline = time.monotonic() + self.timings.connect_timeout_seconds
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
        asyncio.get_running_loop().create_task(run())
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
        try:
            await self.gateway.patch_spec(self.kind, name, self.parse(obj).role_patch("force-primary-allow-data-loss"))
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
            await self._write_status(obj, {"state": "Creating", "results": operation.error})
            return
        if operation.kind == "invalid" or runtime is None or runtime.link is None:
            await self._write_status(obj, {"state": "Failed", "results": operation.error or "instance not running",
                                           "observedGeneration": obj["metadata"]["generation"]})
            return
        link = runtime.link.snapshot()
        state, results = self._outcome(operation, link)
        status = {"state": state, "results": results, "role": _role_word(runtime.db.role),
                  "healthState": "OK" if link["connected"] and not runtime.db.other_primary else "Error",
                  "replicas": _replicas(spec, runtime, link)}
        if state in TERMINAL:
            status["observedGeneration"] = obj["metadata"]["generation"]
        await self._write_status(obj, status)

    def _resume(self, obj, spec, runtime):
        if runtime is None:
            operation = Operation("waiting")
            operation.error = f"waiting for instance {spec.source_mi!r} to be Ready"
            operation.resumable = True
            return operation
        runtime.configure_link(obj["metadata"]["name"],
                               LinkSpec(spec.shared_name, spec.source_mi, spec.partner_mi, spec.partner_url,
                                        spec.partner_cert, spec.sync_mode),
                               on_change=lambda: self.queue.add(obj["metadata"]["name"]),
                               on_promote_request=lambda m: self._promote_requested(obj["metadata"]["name"], m))
        return Operation("resumed")

    @staticmethod
    def _outcome(operation, link):
        if operation.running:
            return "Updating", ""
        if operation.error:
            return "Failed", operation.error
        if operation.kind == "connect" and not link["connected"]:
            if time.monotonic() < operation.deadline:
                return "Updating", ""
            return "Failed", link["cause"]
        if operation.kind == "connect":
            operation.kind = "connected"  # from now on the state stays Succeeded; results tell the link's health
        return "Succeeded", link["cause"]

    async def _write_status(self, obj, status):
        current = obj.get("status") or {}
        if all(current.get(k) == v for k, v in status.items()):
            return
        try:
            await self.gateway.patch_status(self.kind, obj["metadata"]["name"], {**status, "lastUpdateTime": now()})
        except ApiException as exc:
            if exc.status != 404:
                raise


def _role_word(role):
    return {PRIMARY: "Primary", SECONDARY: "Secondary"}.get(role, "Unknown")


def _mode(sync_mode):
    return "SYNCHRONOUS_COMMIT" if sync_mode == "sync" else "ASYNCHRONOUS_COMMIT"


def _replicas(spec, runtime, link):
    connected = "CONNECTED" if link["connected"] else "DISCONNECTED"
    health = "HEALTHY" if link["connected"] else "NOT_HEALTHY"
    entry_health = "OK" if link["connected"] else "Error"
    return [
        {"replicaName": spec.source_mi, "role": runtime.db.role, "availabilityMode": _mode(spec.sync_mode),
         "connectedState": connected, "synchronizationState": health, "secondaryRoleAllowConnections": "ALL",
         "healthState": entry_health},
        {"replicaName": spec.partner_mi, "role": link["partner_role"] or "UNKNOWN",
         "availabilityMode": _mode(link["partner_sync"]), "connectedState": connected,
         "synchronizationState": health, "secondaryRoleAllowConnections": "ALL", "healthState": entry_health},
    ]
