"""The built-in kinds the sandbox serves (the ones Arc and our collection touch), with their rules.

Each behaviour holds what differs per kind: the name rule, defaulting on write, validation beyond
the schema, and the columns of `kubectl get`. Their schemas are deliberately loose inside `spec`
(the server is not a full Kubernetes), but strict at the top level, so unknown fields are pruned
as a real server's decoder drops them.
"""
import base64
import binascii
import ipaddress
import re

from . import names
from .clock import age
from .resources import ResourceType
from .schema import CompiledSchema

_OPEN_OBJECT = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_EVENT_STRING_FIELDS = {field: {"type": "string"} for field in (
    "reason", "message", "type", "firstTimestamp", "lastTimestamp", "eventTime", "action", "reportingComponent",
    "reportingInstance")}


def _root(**properties):
    return {"type": "object", "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                                             "metadata": {"type": "object"}, **properties}}


def column(name, getter, type_="string", priority=0, fmt=""):
    return {"name": name, "type": type_, "format": fmt, "priority": priority, "description": name, "getter": getter}


def _name(obj):
    return obj["metadata"]["name"]


def _age(obj):
    return age(obj["metadata"].get("creationTimestamp"))


class Behaviour:
    """Defaults for a built-in kind; subclasses override what differs."""

    uses_generation = False

    def name_errors(self, name):
        return names.dns_subdomain_errors(name)

    def prepare(self, obj, old, state):
        """Default fields on create (old is None) or update; `state` allocates cluster-wide values."""

    def causes(self, obj, old):
        return []

    def columns(self):
        return [column("Name", _name, fmt="name"), column("Age", _age)]


class NamespaceBehaviour(Behaviour):
    def name_errors(self, name):
        return names.dns_label_errors(name)

    def prepare(self, obj, old, state):
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj.setdefault("status", {}).setdefault("phase", "Active")
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"]["name"]

    def columns(self):
        return [column("Name", _name, fmt="name"), column("Status", lambda o: o.get("status", {}).get("phase", "")),
                column("Age", _age)]


class SecretBehaviour(Behaviour):
    def prepare(self, obj, old, state):
        obj.setdefault("type", "Opaque")
        string_data = obj.pop("stringData", None) or {}
        if string_data:
            data = obj.setdefault("data", {})
            for key, value in string_data.items():
                data[key] = base64.b64encode(str(value).encode()).decode()

    def causes(self, obj, old):
        causes = []
        for key, value in (obj.get("data") or {}).items():
            if not _SECRET_KEY.match(key):
                causes.append(_cause(f"data[{key}]", f"Invalid value: \"{key}\": a valid config key must consist "
                                     "of alphanumeric characters, '-', '_' or '.'"))
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                causes.append(_cause(f"data[{key}]", "Invalid value: \"<secret contents redacted>\": "
                                     "illegal base64 data"))
        data_changed = old is not None and (obj.get("data") != old.get("data") or obj.get("immutable") is not True)
        if data_changed and old.get("immutable"):
            causes.append(_cause("data", "Forbidden: field is immutable when `immutable` is set", "FieldValueForbidden"))
        if old is not None and obj.get("type") != old.get("type"):
            causes.append(_cause("type", f"Invalid value: \"{obj.get('type')}\": field is immutable"))
        return causes

    def columns(self):
        return [column("Name", _name, fmt="name"), column("Type", lambda o: o.get("type", "")),
                column("Data", lambda o: len(o.get("data") or {}), "integer"), column("Age", _age)]


class ConfigMapBehaviour(Behaviour):
    def columns(self):
        return [column("Name", _name, fmt="name"),
                column("Data", lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {}), "integer"),
                column("Age", _age)]


class ServiceBehaviour(Behaviour):
    def name_errors(self, name):
        return names.dns_1035_label_errors(name)

    def prepare(self, obj, old, state):
        spec = obj.setdefault("spec", {})
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        if old is not None and old.get("spec", {}).get("clusterIP"):
            spec["clusterIP"] = old["spec"]["clusterIP"]
        spec.setdefault("clusterIP", state.allocate_cluster_ip())
        spec["clusterIPs"] = [spec["clusterIP"]]
        old_ports = {p.get("port"): p for p in (old or {}).get("spec", {}).get("ports") or []}
        for port in spec.get("ports") or []:
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))
            if spec["type"] in ("NodePort", "LoadBalancer") and "nodePort" not in port:
                previous = old_ports.get(port.get("port"), {}).get("nodePort")
                taken = {p.get("nodePort") for p in spec["ports"] if p.get("nodePort")}
                port["nodePort"] = previous or state.allocate_node_port(taken)
        obj.setdefault("status", {}).setdefault("loadBalancer", {})

    def causes(self, obj, old):
        causes = []
        ports = (obj.get("spec") or {}).get("ports") or []
        if not ports and (obj.get("spec") or {}).get("type") != "ExternalName":
            causes.append(_cause("spec.ports", "Required value", "FieldValueRequired"))
        for index, port in enumerate(ports):
            if not isinstance(port.get("port"), int) or not 0 < port["port"] < 65536:
                causes.append(_cause(f"spec.ports[{index}].port", f"Invalid value: {port.get('port')}: "
                                     "must be between 1 and 65535, inclusive"))
            if len(ports) > 1 and not port.get("name"):
                causes.append(_cause(f"spec.ports[{index}].name", "Required value", "FieldValueRequired"))
        cluster_ip = (obj.get("spec") or {}).get("clusterIP")
        if cluster_ip not in (None, "None", ""):
            try:
                ipaddress.ip_address(cluster_ip)
            except ValueError:
                causes.append(_cause("spec.clusterIP", f"Invalid value: \"{cluster_ip}\": must be a valid IP address"))
        return causes

    def columns(self):
        return [column("Name", _name, fmt="name"),
                column("Type", lambda o: o["spec"].get("type", "")),
                column("Cluster-IP", lambda o: o["spec"].get("clusterIP", "")),
                column("External-IP", _external_ip),
                column("Port(s)", _ports),
                column("Age", _age)]


def _external_ip(svc):
    ingress = (svc.get("status") or {}).get("loadBalancer", {}).get("ingress") or []
    addresses = [i.get("ip") or i.get("hostname") for i in ingress] + list(svc["spec"].get("externalIPs") or [])
    if addresses:
        return ",".join(a for a in addresses if a)
    return "<pending>" if svc["spec"].get("type") == "LoadBalancer" else "<none>"


def _ports(svc):
    parts = []
    for port in svc["spec"].get("ports") or []:
        node_port = f":{port['nodePort']}" if port.get("nodePort") else ""
        parts.append(f"{port.get('port')}{node_port}/{port.get('protocol', 'TCP')}")
    return ",".join(parts) or "<none>"


class EventBehaviour(Behaviour):
    def columns(self):
        def involved(o):
            ref = o.get("involvedObject") or {}
            return f"{(ref.get('kind') or '').lower()}/{ref.get('name', '')}"
        return [column("Last Seen", lambda o: age(o.get("lastTimestamp") or o.get("eventTime")
                                                  or o["metadata"].get("creationTimestamp"))),
                column("Type", lambda o: o.get("type", "")),
                column("Reason", lambda o: o.get("reason", "")),
                column("Object", involved),
                column("Message", lambda o: o.get("message", "")),
                column("Name", _name, fmt="name", priority=1)]


class LeaseBehaviour(Behaviour):
    def columns(self):
        return [column("Name", _name, fmt="name"),
                column("Holder", lambda o: (o.get("spec") or {}).get("holderIdentity", "")),
                column("Age", _age)]


class CustomResourceDefinitionBehaviour(Behaviour):
    uses_generation = True

    def prepare(self, obj, old, state):
        spec = obj.get("spec") or {}
        obj["status"] = {
            "acceptedNames": spec.get("names") or {},
            "storedVersions": [v["name"] for v in spec.get("versions") or [] if v.get("storage")],
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
                 "message": "no conflicts found"},
                {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                 "message": "the initial names have been accepted"},
            ],
        }

    def causes(self, obj, old):
        spec = obj.get("spec") or {}
        plural, group = (spec.get("names") or {}).get("plural"), spec.get("group")
        causes = []
        if obj["metadata"]["name"] != f"{plural}.{group}":
            causes.append(_cause("metadata.name", f"Invalid value: \"{obj['metadata']['name']}\": "
                                 "must be spec.names.plural+\".\"+spec.group"))
        if sum(1 for v in spec.get("versions") or [] if v.get("storage")) != 1:
            causes.append(_cause("spec.versions", "Invalid value: must have exactly one version marked as storage "
                                 "version"))
        return causes

    def columns(self):
        return [column("Name", _name, fmt="name"),
                column("Created At", lambda o: o["metadata"].get("creationTimestamp", ""), fmt="date")]


def _cause(field, message, reason="FieldValueInvalid"):
    return {"reason": reason, "message": message, "field": field}


def _builtin(group, version, kind, plural, namespaced, behaviour, schema, short_names=(), categories=(),
             verbs=None, has_status=False, extra_subresources=()):
    return ResourceType(
        group=group, kind=kind, plural=plural, singular=kind.lower(), namespaced=namespaced,
        versions=[version], storage_version=version, short_names=list(short_names), categories=list(categories),
        verbs=list(verbs) if verbs else ["create", "delete", "deletecollection", "get", "list", "patch", "update",
                                         "watch"],
        has_status=has_status, custom=False, schemas={version: CompiledSchema(schema)},
        behaviour=behaviour, extra_subresources=list(extra_subresources),
    )


def builtin_types():
    return [
        _builtin("", "v1", "Namespace", "namespaces", False, NamespaceBehaviour(),
                 _root(spec=_OPEN_OBJECT, status=_OPEN_OBJECT), short_names=["ns"],
                 verbs=["create", "delete", "get", "list", "patch", "update", "watch"], has_status=True,
                 extra_subresources=["finalize"]),
        _builtin("", "v1", "Secret", "secrets", True, SecretBehaviour(),
                 _root(data=_STRING_MAP, stringData=_STRING_MAP, type={"type": "string"},
                       immutable={"type": "boolean"})),
        _builtin("", "v1", "ConfigMap", "configmaps", True, ConfigMapBehaviour(),
                 _root(data=_STRING_MAP, binaryData=_STRING_MAP, immutable={"type": "boolean"}),
                 short_names=["cm"]),
        _builtin("", "v1", "Service", "services", True, ServiceBehaviour(),
                 _root(spec=_OPEN_OBJECT, status=_OPEN_OBJECT), short_names=["svc"], categories=["all"],
                 has_status=True),
        _builtin("", "v1", "Event", "events", True, EventBehaviour(),
                 _root(involvedObject=_OPEN_OBJECT, related=_OPEN_OBJECT, source=_OPEN_OBJECT,
                       series=_OPEN_OBJECT, count={"type": "integer"}, **_EVENT_STRING_FIELDS),
                 short_names=["ev"]),
        _builtin("coordination.k8s.io", "v1", "Lease", "leases", True, LeaseBehaviour(),
                 _root(spec={"type": "object", "properties": {
                     "holderIdentity": {"type": "string", "nullable": True},
                     "leaseDurationSeconds": {"type": "integer", "nullable": True},
                     "acquireTime": {"type": "string", "nullable": True},
                     "renewTime": {"type": "string", "nullable": True},
                     "leaseTransitions": {"type": "integer", "nullable": True},
                     "preferredHolder": {"type": "string", "nullable": True},
                     "strategy": {"type": "string", "nullable": True}}})),
        _builtin("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", False,
                 CustomResourceDefinitionBehaviour(), _root(spec=_OPEN_OBJECT, status=_OPEN_OBJECT),
                 short_names=["crd", "crds"], categories=["api-extensions"], has_status=True),
    ]
