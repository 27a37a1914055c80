"""What the API server does with objects: create, read, update, patch, delete, garbage-collect.

Every write goes through one admission path (`_admit`), which is where the rules a client can
observe live: namespace and name checks, pruning and field validation, the status subresource
split, generation counting, optimistic concurrency and the "no change, no write" rule.
"""
import base64
import copy
import json
import secrets
import uuid

from . import errors, names, patching
from .clock import now_rfc3339
from .resources import CRD_KEY

METADATA_FIELDS = {"name", "generateName", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
                   "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences",
                   "finalizers", "managedFields", "selfLink"}
SERVER_SET_METADATA = ("uid", "creationTimestamp", "generation", "deletionTimestamp", "deletionGracePeriodSeconds",
                       "selfLink")
FIELD_VALIDATION = ("Ignore", "Warn", "Strict")
# generateName suffixes, as the server makes them: no vowels, no look-alike characters
GENERATED_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


class Allocator:
    """Cluster-wide values the server hands out: service cluster IPs and node ports."""

    def __init__(self, store):
        self._store = store

    def _used(self, pick):
        return {v for svc in self._store.list("services") for v in pick(svc)}

    def allocate_cluster_ip(self):
        used = self._used(lambda s: [s.get("spec", {}).get("clusterIP")])
        for n in range(10, 65000):
            candidate = f"10.96.{n // 250}.{n % 250 + 1}"
            if candidate not in used:
                return candidate
        raise errors.ApiError(500, "InternalError", "no cluster IP left in 10.96.0.0/16")

    def allocate_node_port(self, taken=()):
        """A free node port; `taken` are the ones the service being written already holds."""
        used = self._used(lambda s: [p.get("nodePort") for p in s.get("spec", {}).get("ports") or []]) | set(taken)
        return next(p for p in range(30000, 32768) if p not in used)


def served(rtype, version, obj):
    """The object as the client asked for it: same content, the requested apiVersion."""
    out = {"apiVersion": rtype.api_version(version), "kind": rtype.kind}
    out.update({k: v for k, v in obj.items() if k not in ("apiVersion", "kind")})
    return out


def _content(obj):
    """What counts as a change of the object: everything but the server's own bookkeeping."""
    metadata = {k: v for k, v in obj.get("metadata", {}).items() if k not in ("resourceVersion", "managedFields")}
    return json.dumps({**obj, "metadata": metadata}, sort_keys=True)


def _spec_content(obj):
    """What counts for metadata.generation: everything but metadata and status."""
    return json.dumps({k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")},
                      sort_keys=True)


class Objects:
    def __init__(self, store, registry):
        self.store = store
        self.registry = registry
        self.allocator = Allocator(store)

    # -- reads ------------------------------------------------------------------------------------
    def get(self, rtype, version, namespace, name):
        obj = self.store.get(rtype.key, namespace, name)
        if obj is None:
            raise errors.not_found(rtype, name)
        return served(rtype, version, obj)

    def list(self, rtype, version, namespace, label_match, field_match, limit=0, continue_token=None):
        """Items and list metadata (resourceVersion, continue) for one page."""
        items = [o for o in self.store.list(rtype.key, namespace)
                 if label_match(o["metadata"].get("labels")) and field_match(o)]
        metadata = {"resourceVersion": str(self.store.resource_version)}
        if continue_token:
            start = _decode_continue(continue_token)
            items = [o for o in items if (o["metadata"].get("namespace", ""), o["metadata"]["name"]) > start]
        if limit and len(items) > limit:
            last = items[limit - 1]["metadata"]
            metadata["continue"] = _encode_continue((last.get("namespace", ""), last["name"]))
            metadata["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        return [served(rtype, version, o) for o in items], metadata

    # -- writes -----------------------------------------------------------------------------------
    def create(self, rtype, version, namespace, body, dry_run=False, field_validation="Warn"):
        obj, warnings = self._admit(rtype, version, namespace, body, None, None, field_validation)
        if rtype.namespaced and self.store.get("namespaces", "", namespace) is None:
            raise errors.namespace_not_found(namespace)
        if self.store.get(rtype.key, namespace, obj["metadata"]["name"]) is not None:
            raise errors.already_exists(rtype, obj["metadata"]["name"])
        if not dry_run:
            obj = self._put(rtype, obj)
        return served(rtype, version, obj), warnings

    def update(self, rtype, version, namespace, name, body, subresource=None, dry_run=False,
               field_validation="Warn", is_patch=False):
        old = self.store.get(rtype.key, namespace, name)
        if old is None:
            raise errors.not_found(rtype, name)
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request must be a JSON object")
        body_name = (body.get("metadata") or {}).get("name")
        if body_name != name:
            raise errors.bad_request(f"the name of the object ({body_name}) does not match the name on the URL ({name})")
        obj, warnings = self._admit(rtype, version, namespace, body, old, subresource, field_validation, is_patch)
        if _content(obj) == _content(old):
            return served(rtype, version, old), warnings
        if dry_run:
            return served(rtype, version, obj), warnings
        if obj["metadata"].get("deletionTimestamp") and not obj["metadata"].get("finalizers"):
            self._remove(rtype, obj, "Background")
            return served(rtype, version, obj), warnings
        return served(rtype, version, self._put(rtype, obj)), warnings

    def patch(self, rtype, version, namespace, name, content_type, patch, subresource=None, dry_run=False,
              field_validation="Warn"):
        old = self.store.get(rtype.key, namespace, name)
        if old is None:
            raise errors.not_found(rtype, name)
        patched = patching.apply(rtype, content_type, served(rtype, version, old), patch)
        if not isinstance(patched, dict):
            raise errors.bad_request("the patched object is not a JSON object")
        return self.update(rtype, version, namespace, name, patched, subresource, dry_run, field_validation,
                           is_patch=True)

    def delete(self, rtype, version, namespace, name, options=None, dry_run=False):
        """Returns the deleted (or deletion-pending) object."""
        options = options or {}
        obj = self.store.get(rtype.key, namespace, name)
        if obj is None:
            raise errors.not_found(rtype, name)
        _check_preconditions(rtype, obj, options.get("preconditions") or {})
        if dry_run:
            return served(rtype, version, obj)
        if obj["metadata"].get("finalizers"):
            if not obj["metadata"].get("deletionTimestamp"):
                obj["metadata"]["deletionTimestamp"] = now_rfc3339()
                obj["metadata"]["deletionGracePeriodSeconds"] = 0
                obj = self._put(rtype, obj)
            return served(rtype, version, obj)
        self._remove(rtype, obj, options.get("propagationPolicy") or "Background")
        if rtype.plural == "namespaces":
            obj.setdefault("status", {})["phase"] = "Terminating"
        return served(rtype, version, obj)

    def delete_collection(self, rtype, version, namespace, label_match, field_match, options=None, dry_run=False):
        items = self.list(rtype, version, namespace, label_match, field_match)[0]
        for item in items:
            self.delete(rtype, version, item["metadata"].get("namespace", ""), item["metadata"]["name"], options,
                        dry_run)
        return items

    # -- admission --------------------------------------------------------------------------------
    def _admit(self, rtype, version, namespace, body, old, subresource, field_validation, is_patch=False):
        """The object to store for a write of `body` over `old` (None on create), and warnings."""
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request must be a JSON object")
        obj = copy.deepcopy(body)
        _check_type_meta(rtype, version, obj)
        metadata = obj.get("metadata")
        if metadata is None:
            metadata = obj["metadata"] = {}
        if not isinstance(metadata, dict):
            raise errors.bad_request("metadata must be a JSON object")
        _check_namespace(rtype, namespace, metadata)
        unknown = [f"metadata.{k}" for k in list(metadata) if k not in METADATA_FIELDS]
        for key in unknown:
            del metadata[key[len("metadata."):]]
        schema = rtype.schema(version)
        unknown += schema.prune(obj) if schema else []
        warnings = _field_validation(field_validation, unknown)
        obj = self._split_status(rtype, obj, old, subresource)
        metadata = obj["metadata"]
        if old is None:
            _initialise_metadata(rtype, metadata)
        else:
            for key in SERVER_SET_METADATA:
                metadata.pop(key, None)
                if key in old["metadata"]:
                    metadata[key] = old["metadata"][key]
            metadata["namespace"] = old["metadata"].get("namespace")
            if not rtype.namespaced:
                metadata.pop("namespace", None)
        if rtype.behaviour is not None:
            rtype.behaviour.prepare(obj, old, self.allocator)
        if schema:
            schema.apply_defaults(obj)
        self._validate(rtype, obj, old, schema)
        if rtype.uses_generation():
            changed = old is not None and _spec_content(obj) != _spec_content(old)
            metadata["generation"] = 1 if old is None else old["metadata"].get("generation", 1) + int(changed)
        self._check_resource_version(rtype, obj, old, is_patch)
        # no conversion between versions: the stored form only differs by apiVersion
        obj["apiVersion"] = rtype.api_version(rtype.storage_version)
        return obj, warnings

    @staticmethod
    def _split_status(rtype, obj, old, subresource):
        """A write to the main resource keeps the stored status; a write to /status keeps all the rest."""
        if not rtype.has_status:
            return obj
        if subresource == "status":
            result = copy.deepcopy(old)
            result["metadata"]["resourceVersion"] = obj["metadata"].get("resourceVersion", "")
            result.pop("status", None)
            if obj.get("status") is not None:
                result["status"] = obj["status"]
            return result
        obj.pop("status", None)
        if old is not None and "status" in old:
            obj["status"] = copy.deepcopy(old["status"])
        return obj

    def _validate(self, rtype, obj, old, schema):
        metadata = obj["metadata"]
        causes = []
        if old is None:
            causes += [errors.field_cause("metadata.name", f'Invalid value: "{metadata["name"]}": {e}')
                       for e in rtype.validate_name(metadata["name"])]
        causes += _metadata_causes(metadata)
        if schema:
            causes += schema.causes(obj)
        if rtype.behaviour is not None:
            causes += rtype.behaviour.causes(obj, old)
        if causes:
            raise errors.invalid(rtype, metadata.get("name", ""), causes)

    @staticmethod
    def _check_resource_version(rtype, obj, old, is_patch):
        if old is None:
            obj["metadata"].pop("resourceVersion", None)
            return
        requested = obj["metadata"].get("resourceVersion") or ""
        if requested and requested != old["metadata"]["resourceVersion"]:
            raise errors.conflict(rtype, obj["metadata"]["name"])
        if not requested and not is_patch and not rtype.allows_unconditional_update():
            raise errors.invalid(rtype, obj["metadata"]["name"], [errors.field_cause(
                "metadata.resourceVersion", "Invalid value: 0x0: must be specified for an update")])
        obj["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]

    # -- storage and garbage collection -----------------------------------------------------------
    def _put(self, rtype, obj):
        stored = self.store.put(rtype.key, obj)
        if rtype.key == CRD_KEY:
            self.registry.reload_custom(self.store.list(CRD_KEY))
        return stored

    def _remove(self, rtype, obj, propagation):
        """Delete an object now and collect what depended on it."""
        self.store.delete(rtype.key, obj)
        if rtype.plural == "namespaces":
            self._empty_namespace(obj["metadata"]["name"])
        if rtype.key == CRD_KEY:
            self._drop_custom_resources(obj)
        self._collect_dependents(obj["metadata"]["uid"], propagation)

    def _empty_namespace(self, namespace):
        for other in self.registry.all_types():
            if other.namespaced:
                for child in self.store.list(other.key, namespace):
                    self.store.delete(other.key, child)

    def _drop_custom_resources(self, crd):
        spec = crd.get("spec") or {}
        key = f"{(spec.get('names') or {}).get('plural')}.{spec.get('group')}"
        for child in self.store.list(key):
            self.store.delete(key, child)
        self.registry.reload_custom(self.store.list(CRD_KEY))

    def _collect_dependents(self, owner_uid, propagation):
        for rtype in self.registry.all_types():
            for dependent in self.store.list(rtype.key):
                refs = dependent["metadata"].get("ownerReferences") or []
                if not any(r.get("uid") == owner_uid for r in refs):
                    continue
                remaining = [r for r in refs if r.get("uid") != owner_uid]
                if propagation == "Orphan" or any(self.store.exists_uid(r.get("uid")) for r in remaining):
                    # orphaned, or kept by another owner: the garbage collector drops the reference to the
                    # deleted owner, as it drops any dangling one
                    dependent["metadata"]["ownerReferences"] = remaining
                    if not remaining:
                        del dependent["metadata"]["ownerReferences"]
                    self.store.put(rtype.key, dependent)
                else:
                    self.delete(rtype, rtype.storage_version, dependent["metadata"].get("namespace", ""),
                                dependent["metadata"]["name"], {"propagationPolicy": propagation})


def _check_type_meta(rtype, version, obj):
    expected = rtype.api_version(version)
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if api_version and api_version != expected:
        raise errors.bad_request(f"the API version in the data ({api_version}) does not match the expected API "
                                 f"version ({expected})")
    if kind and kind != rtype.kind:
        if rtype.custom:  # custom resources: the type meta is validated like a field
            name = (obj.get("metadata") or {}).get("name", "")
            raise errors.invalid(rtype, name, [errors.field_cause("kind", f'Invalid value: "{kind}": must be {rtype.kind}')])
        raise errors.bad_request(f"the kind in the data ({kind}) does not match the expected kind ({rtype.kind})")
    obj["apiVersion"], obj["kind"] = expected, rtype.kind


def _check_namespace(rtype, namespace, metadata):
    if not rtype.namespaced:
        metadata.pop("namespace", None)
        return
    given = metadata.get("namespace")
    if given and given != namespace:
        raise errors.bad_request("the namespace of the provided object does not match the namespace sent on the "
                                 "request")
    metadata["namespace"] = namespace


def _initialise_metadata(rtype, metadata):
    if not metadata.get("name"):
        prefix = metadata.get("generateName")
        if not prefix:
            raise errors.invalid(rtype, "", [errors.field_cause(
                "metadata.name", "Required value: name or generateName is required", "FieldValueRequired")])
        metadata["name"] = prefix + "".join(secrets.choice(GENERATED_NAME_ALPHABET) for unused in range(5))
    for key in SERVER_SET_METADATA:
        metadata.pop(key, None)
    metadata["uid"] = str(uuid.uuid4())
    metadata["creationTimestamp"] = now_rfc3339()


def _metadata_causes(metadata):
    causes = []
    for field in ("labels", "annotations"):
        values = metadata.get(field) or {}
        if not isinstance(values, dict):
            causes.append(errors.field_cause(f"metadata.{field}", "Invalid value: must be a map of strings"))
            continue
        for key, value in values.items():
            causes += [errors.field_cause(f"metadata.{field}", f'Invalid value: "{key}": {e}')
                       for e in names.qualified_name_errors(key)]
            if field == "labels":
                causes += [errors.field_cause("metadata.labels", f'Invalid value: "{value}": {e}')
                           for e in names.label_value_errors(value)]
            elif not isinstance(value, str):
                causes.append(errors.field_cause(f"metadata.annotations[{key}]", "Invalid value: must be a string"))
    for index, ref in enumerate(metadata.get("ownerReferences") or []):
        for required in ("apiVersion", "kind", "name", "uid"):
            if not isinstance(ref, dict) or not ref.get(required):
                causes.append(errors.field_cause(f"metadata.ownerReferences[{index}].{required}", "Required value",
                                                 "FieldValueRequired"))
    return causes


def _field_validation(mode, unknown):
    if not unknown or mode == "Ignore":
        return []
    if mode == "Strict":
        raise errors.bad_request("strict decoding error: " + ", ".join(f'unknown field "{f}"' for f in unknown))
    return [f'unknown field "{f}"' for f in unknown]


def _check_preconditions(rtype, obj, preconditions):
    uid, version = preconditions.get("uid"), preconditions.get("resourceVersion")
    name = obj["metadata"]["name"]
    if uid and uid != obj["metadata"]["uid"]:
        raise errors.conflict(rtype, name, f"Precondition failed: UID in precondition: {uid}, UID in object meta: "
                                           f"{obj['metadata']['uid']}")
    if version and version != obj["metadata"]["resourceVersion"]:
        raise errors.conflict(rtype, name, f"Precondition failed: ResourceVersion in precondition: {version}, "
                                           f"ResourceVersion in object meta: {obj['metadata']['resourceVersion']}")


def _encode_continue(position):
    return base64.urlsafe_b64encode(json.dumps(list(position)).encode()).decode()


def _decode_continue(token):
    try:
        namespace, name = json.loads(base64.urlsafe_b64decode(token.encode()))
        return namespace, name
    except (ValueError, TypeError):
        raise errors.bad_request(f'invalid continue token "{token}"')
