"""SqlManagedInstance reconcile: validate, start the instance's engine and endpoints, publish its
Services and status, and reach Ready after the site's ready delay (Error with the reason otherwise).
A spec change moves the state away from Ready and back (a new licence type or TDS port takes effect
then); deletion stops the endpoints and frees their addresses. Between changes a Ready instance's
status follows its engine: a database catching up after a discarded divergent log is reported, with an
Event for the discard."""
import asyncio
import logging

from kubernetes.client.rest import ApiException

from ..profiles import DATA_CONTROLLER_VERSION
from . import instance_spec, instance_status, jsonfile
from .behaviour import DEFAULT, PROFILES
from .clock import now
from .engine.addresses import AddressBook
from .engine.instance import InstanceRuntime
from .instance_spec import MIRRORING_PORT, TDS_PORT

LOG = logging.getLogger(__name__)
# The sandbox's way to rotate an instance's mirroring certificate (no Arc API documents one): a new
# value of this annotation makes the controller issue a new certificate and key.
ROTATE_ANNOTATION = "sandbox.arcdata.io/rotate-mirroring-certificate"
# ... and, when set with it, how many days the new certificate is valid (Arc issues 5 years): the only way
# to see a certificate near its end without waiting for it
VALID_DAYS_ANNOTATION = "sandbox.arcdata.io/rotated-certificate-valid-days"
# an instance in Error because of its admin Secret is checked again this often: the controller does
# not watch Secrets, and a repaired Secret must not need a spec change to be noticed
SECRET_RECHECK_SECONDS = 2.0


class InstanceReconciler:
    def __init__(self, gateway, kind, site, state_dir, cluster_ca, timings, partition,
                 behaviour=PROFILES[DEFAULT], runtimes=None, addresses=None):
        self.gateway, self.kind, self.site = gateway, kind, site
        self.state_dir, self.cluster_ca = state_dir, cluster_ca
        self.timings, self.partition, self.behaviour = timings, partition, behaviour
        self.informer = None  # set by the controller
        # name -> InstanceRuntime: the running engines (the instances' pods), which outlive a controller restart
        self.runtimes = {} if runtimes is None else runtimes
        self.on_runtime_change = lambda name: None  # the DAG reconciler listens
        self.requeue = lambda name: None  # set by the controller: reconcile `name` again
        self._secret_rechecks = set()
        self.addresses = addresses or AddressBook(state_dir / "addresses.json", site.address)
        self._leases_pruned = False

    def runtime(self, name):
        """The running engine of a Ready instance, or None."""
        return self.runtimes.get(name)

    async def reconcile(self, name):
        self._prune_leases()
        obj = self.informer.objects.get(name)
        if obj is None or obj["metadata"].get("deletionTimestamp"):
            await self._forget(name)
            return
        runtime = self.runtimes.get(name)
        if runtime is not None and runtime.uid != obj["metadata"]["uid"]:
            await self._forget(name)  # deleted and created again under the same name: a new instance
            runtime = None
        if runtime is not None:
            runtime.on_sync_change = lambda: self.requeue(name)  # (found running after a controller restart)
        generation, status = obj["metadata"]["generation"], obj.get("status") or {}
        settled = status.get("observedGeneration") == generation and status.get("state") in ("Ready", "Error")
        if settled and name not in self._secret_rechecks:
            if status["state"] == "Ready" and runtime is None:
                runtime = await self._start(obj)  # the controller restarted: bring the engine back as it was
            if status["state"] == "Ready" and not await self._rotate_if_asked(obj, runtime):
                await self._follow_engine(obj, runtime)  # (after a rotation: on the event of its own write)
            return
        await self._converge(obj, runtime)

    def _prune_leases(self):
        """Once, when the informer first knows every instance: free the addresses of instances deleted while
        the controller was down."""
        if not self._leases_pruned:
            self._leases_pruned = True
            gone = self.addresses.known({o["metadata"]["uid"] for o in self.informer.objects.values()})
            if gone:
                LOG.info("freed the endpoint addresses of %d instance(s) deleted while the controller was down",
                         len(gone))

    async def _converge(self, obj, runtime):
        name, generation = obj["metadata"]["name"], obj["metadata"]["generation"]
        spec = obj.get("spec") or {}
        secret_name = (spec.get("security") or {}).get("adminLoginSecret")
        secret = await self.gateway.read_secret(secret_name) if secret_name else None
        record = jsonfile.load(self._dir(obj) / "instance.json", {})
        found = instance_spec.problems(obj, secret, record.get("tier"))
        self._schedule_secret_recheck(name, any("admin login Secret" in p for p in found))
        if found:
            message, status = "; ".join(found), obj.get("status") or {}
            if (status.get("state"), status.get("message"), status.get("observedGeneration")) != (
                    "Error", message, generation):  # a recheck that finds the same problem writes nothing
                await self._patch(name, {"state": "Error", "message": message, "observedGeneration": generation,
                                         "lastUpdateTime": now()})
                await self.gateway.event(obj, "ValidationFailed", message, "Warning")
            return
        await self._patch(name, {"state": "Creating" if runtime is None else "Updating", "message": "",
                                 "lastUpdateTime": now()})
        try:
            runtime = await self._bring_up(obj, runtime)
        except OSError as exc:  # a port this machine will not let the sandbox listen on (below 1024)
            message = f"the instance's endpoints cannot listen: {exc}"
            await self._patch(name, {"state": "Error", "message": message, "observedGeneration": generation,
                                     "lastUpdateTime": now()})
            await self.gateway.event(obj, "EndpointFailed", message, "Warning")
            return
        await asyncio.sleep(self.timings.ready_delay_seconds)
        self._apply_licence(obj, runtime)
        await self._publish_ready(obj, runtime)
        await self.gateway.event(obj, "Ready", f"instance {name} is ready (generation {generation})")

    async def _bring_up(self, obj, runtime):
        """A new instance's engine started, or a running one listening where the changed spec says."""
        spec = obj.get("spec") or {}
        if runtime is None:
            jsonfile.save(self._dir(obj) / "instance.json",
                          {"tier": instance_spec.tier_of(spec), "licenseType": instance_spec.license_of(spec)})
            return await self._start(obj)
        if await runtime.change_ports(instance_spec.ports_of(spec)):
            await self._report_warnings(obj, runtime)
            await self._apply_services(obj, runtime)
        return runtime

    async def _report_warnings(self, obj, runtime):
        """An endpoint that could not listen where a real one does, as an Event on the instance."""
        for warning in runtime.take_warnings():
            await self.gateway.event(obj, "EndpointPortUnavailable", warning, "Warning")

    async def _rotate_if_asked(self, obj, runtime):
        """Issue a new mirroring certificate if the rotation annotation asks for one; True if it did."""
        wanted = (obj["metadata"].get("annotations") or {}).get(ROTATE_ANNOTATION)
        record_path = self._dir(obj) / "instance.json"
        record = jsonfile.load(record_path, {})
        if not wanted or wanted == record.get("rotation"):
            return False
        runtime.rotate_certificate(_valid_days(obj))
        jsonfile.save(record_path, {**record, "rotation": wanted})
        await self._patch(obj["metadata"]["name"], {"highAvailability": {"mirroringCertificate":
                                                                         runtime.certificate_pem},
                                                    "lastUpdateTime": now()})
        await self.gateway.event(obj, "MirroringCertificateRotated",
                                 f"instance {obj['metadata']['name']} has a new mirroring certificate; partners "
                                 "pinning the old one must be updated")
        return True

    def _schedule_secret_recheck(self, name, needed):
        if not needed:
            self._secret_rechecks.discard(name)
            return
        self._secret_rechecks.add(name)
        asyncio.get_running_loop().call_later(SECRET_RECHECK_SECONDS, self.requeue, name)

    def _dir(self, obj):
        return self.state_dir / obj["metadata"]["uid"]

    async def _start(self, obj):
        name = obj["metadata"]["name"]
        runtime = InstanceRuntime(self._dir(obj), name, self.site.namespace, obj["metadata"]["uid"],
                                  self.addresses, self.cluster_ca, self.timings, self.partition)
        runtime.on_sync_change = lambda: self.requeue(name)
        self._apply_licence(obj, runtime)
        try:
            await runtime.start(instance_spec.ports_of(obj.get("spec") or {}))
        except BaseException:
            await runtime.stop()
            raise
        self.runtimes[name] = runtime
        await self._report_warnings(obj, runtime)
        await self._apply_services(obj, runtime)
        self.on_runtime_change(name)
        return runtime

    def _apply_licence(self, obj, runtime):
        """The licence type in force from now on, and the controller's rule for the DR licence."""
        runtime.licence = instance_spec.license_of(obj.get("spec") or {})
        runtime.licence_rule = self.behaviour.dr_licence_refuses_clients

    async def _follow_engine(self, obj, runtime):
        """A Ready instance's status between spec changes: its endpoints and its databases' synchronization
        as the engine has them (written only when they changed), and an Event for each divergent log the
        engine discarded."""
        status = obj.get("status") or {}
        wanted = {"highAvailability": self._high_availability(obj, runtime)}
        if status.get("endpoints") != runtime.endpoints:
            wanted["endpoints"] = runtime.endpoints
            await self._apply_services(obj, runtime)
        if "endpoints" in wanted or instance_status.differs(status.get("highAvailability") or {},
                                                            wanted["highAvailability"]):
            await self._patch(obj["metadata"]["name"], {**wanted, "lastUpdateTime": now()})
        await self._report_discards(obj, runtime)

    def _high_availability(self, obj, runtime):
        return instance_status.high_availability(obj["metadata"]["name"], obj.get("spec") or {}, runtime,
                                                 self.behaviour.instance_ha_detail)

    async def _report_discards(self, obj, runtime):
        discards = runtime.db.unreported_discards()
        if not discards:
            return
        for discard in discards:
            await self.gateway.event(obj, instance_status.DISCARD_REASON,
                                     instance_status.discard_message(runtime.name, discard), "Warning")
        runtime.db.mark_discards_reported()

    async def _forget(self, name):
        runtime = self.runtimes.pop(name, None)
        if runtime is not None:
            await runtime.stop(forget=True)
            LOG.info("instance %s deleted: endpoints stopped", name)
            self.on_runtime_change(name)

    async def _publish_ready(self, obj, runtime):
        replicas = instance_spec.replicas_of(obj.get("spec") or {})
        await self._patch(obj["metadata"]["name"], {
            "state": "Ready",
            "message": "",
            "healthState": "OK",
            "observedGeneration": obj["metadata"]["generation"],
            "lastUpdateTime": now(),
            "runningVersion": DATA_CONTROLLER_VERSION,
            "roles": {"sql": {"replicas": replicas, "readyReplicas": replicas}},
            "endpoints": runtime.endpoints,
            "highAvailability": self._high_availability(obj, runtime),
        })
        await self._report_discards(obj, runtime)

    async def _patch(self, name, status):
        try:
            await self.gateway.patch_status(self.kind, name, status)
        except ApiException as exc:
            if exc.status != 404:  # deleted meanwhile: nothing to report on
                raise

    async def _apply_services(self, obj, runtime):
        """`<mi>-external-svc` (TDS and mirroring) and `<mi>-secondary-external-svc` (readable secondaries),
        owned by the instance (garbage-collected with it), each with its endpoint's address as load balancer."""
        name, services = obj["metadata"]["name"], (obj.get("spec") or {}).get("services") or {}
        primary_type = (services.get("primary") or {}).get("type") or "LoadBalancer"
        await self._apply_service(obj, f"{name}-external-svc", primary_type, runtime.address, [
            {"name": "port-mssql-tds", "port": runtime.client_port, "targetPort": TDS_PORT},
            {"name": "port-mssql-mirroring", "port": runtime.mirroring_port, "targetPort": MIRRORING_PORT}])
        secondary_type = (services.get("readableSecondaries") or {}).get("type") or primary_type
        await self._apply_service(obj, f"{name}-secondary-external-svc", secondary_type, runtime.secondary_address,
                                  [{"name": "port-mssql-tds", "port": runtime.secondary_port,
                                    "targetPort": TDS_PORT}])

    async def _apply_service(self, obj, service_name, service_type, address, ports):
        name = obj["metadata"]["name"]
        body = {
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": service_name, "namespace": self.site.namespace,
                         "labels": {"app.kubernetes.io/instance": name, "arc-resource": "sqlmanagedinstance"},
                         "ownerReferences": [{"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": name,
                                              "uid": obj["metadata"]["uid"], "controller": True,
                                              "blockOwnerDeletion": True}]},
            "spec": {"type": service_type, "selector": {"app.kubernetes.io/instance": name}, "ports": ports},
        }
        await self.gateway.apply_service(body)
        if service_type == "LoadBalancer":
            await self.gateway.call(self.gateway.core.patch_namespaced_service_status, service_name,
                                    self.site.namespace, {"status": {"loadBalancer": {"ingress": [{"ip": address}]}}})

    def detach(self):
        """The controller stops, the engines run on: none of them reports to this controller any more."""
        for runtime in self.runtimes.values():
            runtime.detach()


def _valid_days(obj):
    """The validity the rotation asks for, in days; None (Arc's 5 years) when unset or not a positive number."""
    value = (obj["metadata"].get("annotations") or {}).get(VALID_DAYS_ANNOTATION)
    if value is None:
        return None
    if not str(value).isdigit() or int(value) < 1:
        LOG.warning("instance %s: ignoring %s=%r (not a positive number of days)", obj["metadata"]["name"],
                    VALID_DAYS_ANNOTATION, value)
        return None
    return int(value)
