"""SqlManagedInstance reconcile: validate, start the instance's engine and endpoints, publish its
Service and status, and reach Ready after the site's ready delay (Error with the reason otherwise).
A spec change moves the state away from Ready and back; deletion stops the endpoints."""
import asyncio
import logging

from kubernetes.client.rest import ApiException

from ..profiles import DATA_CONTROLLER_VERSION
from . import instance_spec, jsonfile
from .behaviour import DEFAULT, PROFILES
from .clock import now
from .engine.instance import InstanceRuntime

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
                 behaviour=PROFILES[DEFAULT]):
        self.gateway, self.kind, self.site = gateway, kind, site
        self.state_dir, self.cluster_ca = state_dir, cluster_ca
        self.timings, self.partition, self.behaviour = timings, partition, behaviour
        self.informer = None  # set by the controller
        self.runtimes = {}  # name -> InstanceRuntime
        self.on_runtime_change = lambda name: None  # the DAG reconciler listens
        self.requeue = lambda name: None  # set by the controller: reconcile `name` again
        self._secret_rechecks = set()

    def runtime(self, name):
        """The running engine of a Ready instance, or None."""
        return self.runtimes.get(name)

    async def reconcile(self, name):
        obj = self.informer.objects.get(name)
        if obj is None or obj["metadata"].get("deletionTimestamp"):
            await self._forget(name)
            return
        runtime = self.runtimes.get(name)
        if runtime is not None and runtime.uid != obj["metadata"]["uid"]:
            await self._forget(name)  # deleted and created again under the same name: a new instance
            runtime = None
        generation, status = obj["metadata"]["generation"], obj.get("status") or {}
        settled = status.get("observedGeneration") == generation and status.get("state") in ("Ready", "Error")
        if settled and name not in self._secret_rechecks:
            if status["state"] == "Ready" and runtime is None:
                runtime = await self._start(obj)  # the controller restarted: bring the engine back as it was
            if status["state"] == "Ready":
                await self._rotate_if_asked(obj, runtime)
            return
        await self._converge(obj, runtime)

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
        if runtime is None:
            jsonfile.save(self._dir(obj) / "instance.json",
                          {"tier": instance_spec.tier_of(spec), "licenseType": instance_spec.license_of(spec)})
            runtime = await self._start(obj)
        await asyncio.sleep(self.timings.ready_delay_seconds)
        await self._publish_ready(obj, runtime)
        await self.gateway.event(obj, "Ready", f"instance {name} is ready (generation {generation})")

    async def _rotate_if_asked(self, obj, runtime):
        wanted = (obj["metadata"].get("annotations") or {}).get(ROTATE_ANNOTATION)
        record_path = self._dir(obj) / "instance.json"
        record = jsonfile.load(record_path, {})
        if not wanted or wanted == record.get("rotation"):
            return
        runtime.rotate_certificate(_valid_days(obj))
        jsonfile.save(record_path, {**record, "rotation": wanted})
        await self._patch(obj["metadata"]["name"], {"highAvailability": {"mirroringCertificate":
                                                                         runtime.certificate_pem},
                                                    "lastUpdateTime": now()})
        await self.gateway.event(obj, "MirroringCertificateRotated",
                                 f"instance {obj['metadata']['name']} has a new mirroring certificate; partners "
                                 "pinning the old one must be updated")

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
                                  self.site.address, self.cluster_ca, self.timings, self.partition)
        await runtime.start()
        self.runtimes[name] = runtime
        await self._apply_service(obj, runtime)
        self.on_runtime_change(name)
        return runtime

    async def _forget(self, name):
        runtime = self.runtimes.pop(name, None)
        if runtime is not None:
            await runtime.stop(forget=True)
            LOG.info("instance %s deleted: endpoints stopped", name)
            self.on_runtime_change(name)

    async def _publish_ready(self, obj, runtime):
        spec = obj.get("spec") or {}
        replicas = instance_spec.replicas_of(spec)
        await self._patch(obj["metadata"]["name"], {
            "state": "Ready",
            "message": "",
            "healthState": "OK",
            "observedGeneration": obj["metadata"]["generation"],
            "lastUpdateTime": now(),
            "runningVersion": DATA_CONTROLLER_VERSION,
            "roles": {"sql": {"replicas": replicas, "readyReplicas": replicas}},
            "endpoints": runtime.endpoints,
            "highAvailability": {
                "mirroringCertificate": runtime.certificate_pem,
                "healthState": "Healthy",
                "replicas": _contained_ag_replicas(obj["metadata"]["name"], replicas,
                                                   spec.get("readableSecondaries", 0)),
            },
        })

    async def _patch(self, name, status):
        try:
            await self.gateway.patch_status(self.kind, name, status)
        except ApiException as exc:
            if exc.status != 404:  # deleted meanwhile: nothing to report on
                raise

    async def _apply_service(self, obj, runtime):
        """`<mi>-external-svc`, owned by the instance (garbage-collected with it)."""
        name, spec = obj["metadata"]["name"], obj.get("spec") or {}
        service_type = ((spec.get("services") or {}).get("primary") or {}).get("type") or "LoadBalancer"
        body = {
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": f"{name}-external-svc", "namespace": self.site.namespace,
                         "labels": {"app.kubernetes.io/instance": name, "arc-resource": "sqlmanagedinstance"},
                         "ownerReferences": [{"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": name,
                                              "uid": obj["metadata"]["uid"], "controller": True,
                                              "blockOwnerDeletion": True}]},
            "spec": {"type": service_type, "selector": {"app.kubernetes.io/instance": name},
                     "ports": [{"name": "port-mssql-tds", "port": runtime.client_port, "targetPort": 1433},
                               {"name": "port-mssql-mirroring", "port": runtime.mirroring_port, "targetPort": 5022}]},
        }
        await self.gateway.apply_service(body)
        if service_type == "LoadBalancer":
            await self.gateway.call(self.gateway.core.patch_namespaced_service_status, body["metadata"]["name"],
                                    self.site.namespace,
                                    {"status": {"loadBalancer": {"ingress": [{"ip": self.site.address}]}}})

    async def stop_all(self):
        for runtime in list(self.runtimes.values()):
            await runtime.stop()
        self.runtimes.clear()


def _contained_ag_replicas(name, replicas, readable):
    return [{"replicaName": f"{name}-{i}", "role": "PRIMARY" if i == 0 else "SECONDARY",
             "availabilityMode": "SYNCHRONOUS_COMMIT", "connectedState": "CONNECTED",
             "synchronizationState": "HEALTHY", "healthState": "OK",
             "secondaryRoleAllowConnections": "ALL" if i == 0 or i <= readable else "NO"}
            for i in range(replicas)]


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
