"""The controller's only door to its site: the Kubernetes API, through the official client.

Blocking client calls run in worker threads; watches run one thread per kind and hand each change
to the event loop, where an `Informer` keeps the current objects and tells the reconciler which
name changed (list, then watch from the list's resourceVersion, relist on 410 Expired).
"""
import asyncio
import logging
import threading
import time

import urllib3
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

LOG = logging.getLogger(__name__)
WATCH_TIMEOUT_SECONDS = 300
# any hiccup of the API (the site restarting, a dropped connection) is retried after this pause
RETRY_PAUSE_SECONDS = 0.5


class Kind:
    """A custom resource kind as the controller addresses it."""

    def __init__(self, group, plural, version):
        self.group, self.plural, self.version = group, plural, version


class KubeGateway:
    def __init__(self, kubeconfig, context, namespace):
        configuration = client.Configuration()
        config.load_kube_config(config_file=str(kubeconfig), context=context, client_configuration=configuration)
        self.api_client = client.ApiClient(configuration)
        self.api_client.user_agent = "arc-controller-emulator/0.1"  # tells its requests apart in the audit log
        self.custom = client.CustomObjectsApi(self.api_client)
        self.core = client.CoreV1Api(self.api_client)
        self.extensions = client.ApiextensionsV1Api(self.api_client)
        self.namespace = namespace

    def kind(self, crd_name):
        """The kind a CRD defines, addressed at its storage version (what `az` does), or None if not served."""
        try:
            crd = self.extensions.read_custom_resource_definition(crd_name)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        version = next(v.name for v in crd.spec.versions if v.storage)
        return Kind(crd.spec.group, crd.spec.names.plural, version)

    # -- blocking calls, run through `call` ------------------------------------------------------
    async def call(self, function, *args, **kwargs):
        return await asyncio.to_thread(function, *args, **kwargs)

    async def patch_status(self, kind, name, status):
        return await self.call(self.custom.patch_namespaced_custom_object_status, kind.group, kind.version,
                               self.namespace, kind.plural, name, {"status": status})

    async def patch_spec(self, kind, name, spec):
        return await self.call(self.custom.patch_namespaced_custom_object, kind.group, kind.version,
                               self.namespace, kind.plural, name, {"spec": spec})

    async def read_secret(self, name):
        try:
            return await self.call(self.core.read_namespaced_secret, name, self.namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    async def apply_service(self, body):
        name = body["metadata"]["name"]
        try:
            return await self.call(self.core.patch_namespaced_service, name, self.namespace, body)
        except ApiException as exc:
            if exc.status != 404:
                raise
        return await self.call(self.core.create_namespaced_service, self.namespace, body)

    async def event(self, involved, reason, message, event_type="Normal"):
        """Record a Kubernetes Event on an object (what `kubectl describe` shows)."""
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        body = {"metadata": {"generateName": f"{involved['metadata']['name']}.", "namespace": self.namespace},
                "involvedObject": {"apiVersion": involved["apiVersion"], "kind": involved["kind"],
                                   "name": involved["metadata"]["name"], "namespace": self.namespace,
                                   "uid": involved["metadata"]["uid"]},
                "reason": reason, "message": message, "type": event_type, "count": 1,
                "firstTimestamp": now, "lastTimestamp": now, "source": {"component": "arc-controller"}}
        try:
            await self.call(self.core.create_namespaced_event, self.namespace, body)
        except (ApiException, urllib3.exceptions.HTTPError) as exc:
            LOG.warning("could not record event %s on %s: %s", reason, involved["metadata"]["name"], exc)


class Informer:
    """The current objects of one kind, kept by list + watch; `on_change(name)` runs on the loop."""

    def __init__(self, gateway, kind, on_change):
        self.gateway = gateway
        self.kind = kind
        self.objects = {}
        self._on_change = on_change
        self._loop = None
        self.synced = asyncio.Event()
        self._stop = threading.Event()

    def start(self):
        self._loop = asyncio.get_running_loop()
        threading.Thread(target=self._run, name=f"watch-{self.kind.plural}", daemon=True).start()

    def stop(self):
        self._stop.set()

    def _deliver(self, change):
        if not self._stop.is_set():  # a stopped informer's watch may still be reading: nothing reaches the loop
            self._loop.call_soon_threadsafe(self._apply, change)

    def _apply(self, change):
        kind, payload = change
        if kind == "SYNC":
            names = {o["metadata"]["name"] for o in payload}
            gone = [n for n in self.objects if n not in names]
            self.objects = {o["metadata"]["name"]: o for o in payload}
            self.synced.set()
            for name in gone + sorted(names):
                self._on_change(name)
            return
        name = payload["metadata"]["name"]
        if kind == "DELETED":
            self.objects.pop(name, None)
        else:
            self.objects[name] = payload
        self._on_change(name)

    def _list(self):
        kind = self.kind
        listing = self.gateway.custom.list_namespaced_custom_object(kind.group, kind.version,
                                                                    self.gateway.namespace, kind.plural)
        self._deliver(("SYNC", listing["items"]))
        return listing["metadata"]["resourceVersion"]

    def _run(self):
        kind, resource_version = self.kind, None
        while not self._stop.is_set():
            try:
                if resource_version is None:
                    resource_version = self._list()
                stream = watch.Watch().stream(
                    self.gateway.custom.list_namespaced_custom_object, kind.group, kind.version,
                    self.gateway.namespace, kind.plural, resource_version=resource_version,
                    timeout_seconds=WATCH_TIMEOUT_SECONDS, allow_watch_bookmarks=True)
                for event in stream:
                    resource_version = event["raw_object"]["metadata"].get("resourceVersion", resource_version)
                    if event["type"] in ("ADDED", "MODIFIED", "DELETED"):
                        self._deliver((event["type"], event["raw_object"]))
                    if self._stop.is_set():
                        return
            except ApiException as exc:
                if exc.status == 410:
                    resource_version = None  # too old: relist
                    continue
                LOG.warning("watch of %s failed: %s", kind.plural, exc.reason)
                time.sleep(RETRY_PAUSE_SECONDS)
            except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
                LOG.info("watch of %s interrupted (%s); resuming", kind.plural, exc)
                time.sleep(RETRY_PAUSE_SECONDS)
