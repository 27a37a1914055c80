"""OpenAPI v3 documents, one per group-version, built from the schemas the server enforces.

kubectl needs them: `kubectl apply` refuses to run without OpenAPI, and it checks the PATCH
operation of each kind for the `fieldValidation` and `dryRun` parameters before it relies on the
server for validation and dry runs.
"""
import copy
import hashlib
import json

from .discovery import KUBERNETES_VERSION

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_STRING = {"type": "string"}
_OBJECT_META_SCHEMA = {
    "type": "object",
    "properties": {
        "name": _STRING, "generateName": _STRING, "namespace": _STRING, "uid": _STRING, "resourceVersion": _STRING,
        "generation": {"type": "integer", "format": "int64"},
        "creationTimestamp": {"type": "string", "format": "date-time"},
        "deletionTimestamp": {"type": "string", "format": "date-time"},
        "deletionGracePeriodSeconds": {"type": "integer", "format": "int64"},
        "labels": {"type": "object", "additionalProperties": _STRING},
        "annotations": {"type": "object", "additionalProperties": _STRING},
        "finalizers": {"type": "array", "items": _STRING, "x-kubernetes-patch-strategy": "merge"},
        "ownerReferences": {"type": "array", "x-kubernetes-patch-merge-key": "uid",
                            "x-kubernetes-patch-strategy": "merge",
                            "items": {"type": "object", "required": ["apiVersion", "kind", "name", "uid"],
                                      "properties": {"apiVersion": _STRING, "kind": _STRING, "name": _STRING,
                                                     "uid": _STRING, "controller": {"type": "boolean"},
                                                     "blockOwnerDeletion": {"type": "boolean"}}}},
        "managedFields": {"type": "array", "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
    },
}
_WRITE_PARAMETERS = [
    {"name": "dryRun", "in": "query", "schema": _STRING, "uniqueItems": True},
    {"name": "fieldManager", "in": "query", "schema": _STRING, "uniqueItems": True},
    {"name": "fieldValidation", "in": "query", "schema": _STRING, "uniqueItems": True},
]


def schema_name(rtype, version):
    group = ".".join(reversed(rtype.group.split("."))) if rtype.group else "io.k8s.api.core"
    return f"{group}.{version}.{rtype.kind}"


def _gvk(rtype, version):
    return {"group": rtype.group, "version": version, "kind": rtype.kind}


def _object_schema(rtype, version):
    compiled = rtype.schema(version)
    schema = copy.deepcopy(compiled.source) if compiled else {"type": "object"}
    properties = schema.setdefault("properties", {})
    properties["apiVersion"] = _STRING
    properties["kind"] = _STRING
    properties["metadata"] = {"allOf": [{"$ref": f"#/components/schemas/{OBJECT_META}"}]}
    schema["x-kubernetes-group-version-kind"] = [_gvk(rtype, version)]
    return schema


def _operation(rtype, version, action, ref, parameters=()):
    return {
        "operationId": f"{action}{rtype.kind}",
        "parameters": list(parameters),
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": ref}}}}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": _gvk(rtype, version),
    }


def _paths(rtype, version):
    prefix = f"/apis/{rtype.group}/{version}" if rtype.group else f"/api/{version}"
    if rtype.namespaced:
        prefix += "/namespaces/{namespace}"
    ref = f"#/components/schemas/{schema_name(rtype, version)}"
    body = {"content": {"application/json": {"schema": {"$ref": ref}}}, "required": True}
    collection = f"{prefix}/{rtype.plural}"
    item = f"{collection}/{{name}}"
    writes = _WRITE_PARAMETERS
    paths = {
        collection: {"get": _operation(rtype, version, "list", ref),
                     "post": {**_operation(rtype, version, "post", ref, writes), "requestBody": body}},
        item: {"get": _operation(rtype, version, "get", ref),
               "put": {**_operation(rtype, version, "put", ref, writes), "requestBody": body},
               "patch": {**_operation(rtype, version, "patch", ref, writes + [
                   {"name": "force", "in": "query", "schema": {"type": "boolean"}, "uniqueItems": True}])},
               "delete": _operation(rtype, version, "delete", ref, writes[:1])},
    }
    if rtype.has_status:
        paths[f"{item}/status"] = {"get": _operation(rtype, version, "get", ref),
                                   "put": {**_operation(rtype, version, "put", ref, writes), "requestBody": body},
                                   "patch": _operation(rtype, version, "patch", ref, writes)}
    return paths


def group_version_document(registry, group, version):
    types = registry.types_in(group, version)
    if not types:
        return None
    schemas = {OBJECT_META: _OBJECT_META_SCHEMA}
    paths = {}
    for rtype in types:
        schemas[schema_name(rtype, version)] = _object_schema(rtype, version)
        paths.update(_paths(rtype, version))
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION["gitVersion"]},
            "paths": paths, "components": {"schemas": schemas}}


def _group_versions(registry):
    yield "", "v1"
    for group, versions in registry.groups().items():
        for version in versions:
            yield group, version


def _relative_path(group, version):
    return f"apis/{group}/{version}" if group else f"api/{version}"


def index(registry):
    paths = {}
    for group, version in _group_versions(registry):
        document = group_version_document(registry, group, version)
        digest = hashlib.sha512(json.dumps(document, sort_keys=True).encode()).hexdigest()[:32].upper()
        path = _relative_path(group, version)
        paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest}"}
    return {"paths": paths}


def document_for_path(registry, path):
    """The document for `api/v1` or `apis/<group>/<version>`, or None."""
    parts = path.strip("/").split("/")
    if parts == ["api", "v1"]:
        return group_version_document(registry, "", "v1")
    if len(parts) == 3 and parts[0] == "apis":
        return group_version_document(registry, parts[1], parts[2])
    return None
