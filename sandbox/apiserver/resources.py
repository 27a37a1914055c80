"""Resource types the server knows: built-ins, plus one per served version of every stored CRD."""
from dataclasses import dataclass, field

from . import errors
from .names import dns_subdomain_errors
from .schema import CompiledSchema
from .versions import by_priority

CR_VERBS = ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"]
CRD_KEY = "customresourcedefinitions.apiextensions.k8s.io"


@dataclass
class ResourceType:
    """One kind of object, keyed by group and plural; versions share storage (no conversion)."""

    group: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    versions: list
    storage_version: str
    short_names: list = field(default_factory=list)
    categories: list = field(default_factory=list)
    verbs: list = field(default_factory=lambda: list(CR_VERBS))
    has_status: bool = False
    custom: bool = True
    # version -> CompiledSchema; version -> list of printer columns (CRD additionalPrinterColumns)
    schemas: dict = field(default_factory=dict)
    printer_columns: dict = field(default_factory=dict)
    # per-kind behaviour of built-ins (see builtins.py); None for custom resources
    behaviour: object = None
    extra_subresources: list = field(default_factory=list)

    @property
    def key(self):
        return errors.qualified(self)

    @property
    def list_kind(self):
        return f"{self.kind}List"

    def api_version(self, version):
        return f"{self.group}/{version}" if self.group else version

    def schema(self, version):
        return self.schemas.get(version)

    def uses_generation(self):
        """Custom resources count spec changes in metadata.generation; the built-ins we serve do not."""
        return self.custom or (self.behaviour is not None and self.behaviour.uses_generation)

    def allows_unconditional_update(self):
        return not self.custom

    def validate_name(self, name):
        if self.behaviour is not None:
            return self.behaviour.name_errors(name)
        return dns_subdomain_errors(name)


def _crd_schema(version_entry):
    schema = (version_entry.get("schema") or {}).get("openAPIV3Schema")
    return CompiledSchema(schema) if schema else None


def from_crd(crd):
    """The resource type a CustomResourceDefinition object declares, or None if it serves nothing."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    served = [v for v in spec.get("versions") or [] if v.get("served")]
    if not served:
        return None
    storage = next((v["name"] for v in spec["versions"] if v.get("storage")), served[0]["name"])
    return ResourceType(
        group=spec["group"],
        kind=names["kind"],
        plural=names["plural"],
        singular=names.get("singular") or names["kind"].lower(),
        namespaced=spec.get("scope", "Namespaced") == "Namespaced",
        versions=[v["name"] for v in served],
        storage_version=storage,
        short_names=list(names.get("shortNames") or []),
        categories=list(names.get("categories") or []),
        has_status=any("status" in (v.get("subresources") or {}) for v in served),
        schemas={v["name"]: _crd_schema(v) for v in served},
        printer_columns={v["name"]: v.get("additionalPrinterColumns") for v in served},
    )


class Registry:
    """Looks resource types up by URL parts and lists them for discovery."""

    def __init__(self, builtin_types):
        self._builtins = list(builtin_types)
        self._custom = []

    def reload_custom(self, crds):
        self._custom = [t for t in (from_crd(c) for c in crds) if t is not None]

    def all_types(self):
        return self._builtins + self._custom

    def by_key(self, key):
        return next((t for t in self.all_types() if t.key == key), None)

    def lookup(self, group, version, plural):
        for rtype in self.all_types():
            if rtype.group == group and rtype.plural == plural and version in rtype.versions:
                return rtype
        return None

    def groups(self):
        """{group: [versions by priority]} for every group except the core one."""
        found = {}
        for rtype in self.all_types():
            if rtype.group:
                found.setdefault(rtype.group, set()).update(rtype.versions)
        return {group: by_priority(versions) for group, versions in sorted(found.items())}

    def types_in(self, group, version):
        return [t for t in self.all_types() if t.group == group and version in t.versions]
