"""ARM's connection to one site through its custom location: the site's Kubernetes API with the sandbox's
admin credentials (the cluster extension's), informers on the kinds ARM projects, and the writes of the
projection (create or replace an instance and its login Secret, a FailoverGroup; delete them).

Writes are retried while the site does not answer, up to the configured timeout; an answer that refuses
the write (a validation error) becomes WriteRejected at once, with the API's message."""
import asyncio
import base64
import functools
import json
import time

import urllib3
from kubernetes.client.rest import ApiException

from ..controller.kube import Informer, Kind, KubeGateway

# the bridge's requests are told apart in the site's audit log (and by fault rules: --user-agent arc-arm-bridge/)
USER_AGENT = "arc-arm-bridge/0.1"
ARC_GROUP = "sql.arcdata.microsoft.com"
KINDS = {
    "instance": Kind(ARC_GROUP, "sqlmanagedinstances", "v13"),
    "failoverGroup": Kind(ARC_GROUP, "failovergroups", "v2"),
    "dataController": Kind("arcdata.microsoft.com", "datacontrollers", "v5"),
}
KIND_NAMES = {"instance": "SqlManagedInstance", "failoverGroup": "FailoverGroup"}
# labels and annotation the bridge puts on what it writes, as Arc's resource bridge does
PROVIDER_LABEL = {"management.azure.com/resourceProvider": "Microsoft.AzureArcData"}
RESOURCE_ID_ANNOTATION = "management.azure.com/resourceId"
RETRY_PAUSE_SECONDS = 0.2
TRANSIENT_STATUSES = (0, 429, 500, 502, 503, 504)


class WriteRejected(Exception):
    """The site refused a write, or did not answer in time; the message says why (no secrets in it)."""


def _message_of(exc):
    try:
        return json.loads(exc.body).get("message") or exc.reason
    except (TypeError, ValueError):
        return exc.reason


class SiteLink:
    def __init__(self, site_name, files, site, on_change, timeout):
        self.name, self.namespace, self.timeout = site_name, site.namespace, timeout
        self.gateway = KubeGateway(files.kubeconfig, site.context, site.namespace)
        self.gateway.api_client.user_agent = USER_AGENT
        self.informers = {kind: Informer(self.gateway, KINDS[kind], functools.partial(on_change, site_name, kind))
                          for kind in KINDS}

    def start(self):
        for informer in self.informers.values():
            informer.start()

    def stop(self):
        for informer in self.informers.values():
            informer.stop()

    def current(self, kind, name):
        return self.informers[kind].objects.get(name)

    async def _call(self, function, *args, **kwargs):
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                return await self.gateway.call(function, *args, **kwargs)
            except ApiException as exc:
                if exc.status not in TRANSIENT_STATUSES:
                    raise
                last = f"{exc.status} {exc.reason}"
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                last = type(exc).__name__
            if time.monotonic() > deadline:
                raise WriteRejected(f"the cluster behind custom location of site {self.name} did not answer within "
                                    f"{self.timeout:g} s ({last})")
            await asyncio.sleep(RETRY_PAUSE_SECONDS)

    async def _read(self, kind, name):
        info = KINDS[kind]
        try:
            return await self._call(self.gateway.custom.get_namespaced_custom_object, info.group, info.version,
                                    self.namespace, info.plural, name)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise WriteRejected(_message_of(exc)) from None

    async def apply(self, kind, name, spec, resource_id):
        """Create the CR, or replace its spec (a conflicting concurrent write is retried on the new version)."""
        info, custom = KINDS[kind], self.gateway.custom
        while True:
            current = await self._read(kind, name)
            try:
                if current is None:
                    body = {"apiVersion": f"{info.group}/{info.version}", "kind": KIND_NAMES[kind],
                            "metadata": {"name": name, "namespace": self.namespace, "labels": dict(PROVIDER_LABEL),
                                         "annotations": {RESOURCE_ID_ANNOTATION: resource_id}},
                            "spec": spec}
                    return await self._call(custom.create_namespaced_custom_object, info.group, info.version,
                                            self.namespace, info.plural, body)
                body = {**current, "spec": spec}
                body.pop("status", None)
                return await self._call(custom.replace_namespaced_custom_object, info.group, info.version,
                                        self.namespace, info.plural, name, body)
            except ApiException as exc:
                if exc.status != 409:
                    raise WriteRejected(_message_of(exc)) from None

    async def delete(self, kind, name):
        info = KINDS[kind]
        try:
            await self._call(self.gateway.custom.delete_namespaced_custom_object, info.group, info.version,
                             self.namespace, info.plural, name)
        except ApiException as exc:
            if exc.status != 404:
                raise WriteRejected(_message_of(exc)) from None

    async def apply_login_secret(self, name, username, password):
        """The instance's admin login Secret, from the ARM request's basicLoginInformation."""
        data = {"username": base64.b64encode(username.encode()).decode(),
                "password": base64.b64encode(password.encode()).decode()}
        core = self.gateway.core
        body = {"metadata": {"name": name, "namespace": self.namespace, "labels": dict(PROVIDER_LABEL)},
                "type": "Opaque", "data": data}
        try:
            await self._call(core.create_namespaced_secret, self.namespace, body)
        except ApiException as exc:
            if exc.status != 409:
                raise WriteRejected(_message_of(exc)) from None
            try:
                await self._call(core.patch_namespaced_secret, name, self.namespace, {"data": data})
            except ApiException as patch_error:
                raise WriteRejected(_message_of(patch_error)) from None
