"""How an ARM instance becomes its SqlManagedInstance CR and back, as the Arc chart's sqlmanagedinstances
templates map them (direct-mode.md §2.5, §5): the CR is named as the ARM resource; its spec is
properties.k8sRaw.spec with the licence (properties.licenseType), the tier (sku.tier) and dev (sku.dev)
laid over it; back in ARM, properties.k8sRaw is the CR's {metadata, spec, status}, sku.tier the normalised
tier and licenseType the CR's."""
import copy

TIERS = {"gp": "GeneralPurpose", "generalpurpose": "GeneralPurpose", "bc": "BusinessCritical",
         "businesscritical": "BusinessCritical"}
LICENSE_TYPES = ("BasePrice", "LicenseIncluded", "DisasterRecovery")


def login_secret_name(name, spec):
    return (spec.get("security") or {}).get("adminLoginSecret") or f"{name}-login-secret"


def cr_spec(name, resource):
    """The CR spec an ARM instance document asks for."""
    properties = resource.get("properties") or {}
    spec = copy.deepcopy((properties.get("k8sRaw") or {}).get("spec") or {})
    sku = resource.get("sku") or {}
    if sku.get("tier"):
        spec["tier"] = TIERS.get(str(sku["tier"]).lower(), sku["tier"])
    if "dev" in sku:
        spec["dev"] = sku["dev"]
    if properties.get("licenseType"):
        spec["licenseType"] = properties["licenseType"]
    spec.setdefault("security", {})["adminLoginSecret"] = login_secret_name(name, spec)
    return spec


def project(resource, cr):
    """The ARM document `resource` updated from the CR (k8sRaw, tier, licence)."""
    spec = cr.get("spec") or {}
    resource["properties"]["k8sRaw"] = {"metadata": cr.get("metadata") or {}, "spec": spec,
                                        "status": cr.get("status") or {}}
    sku = resource.setdefault("sku", {"name": "vCore"})
    sku["tier"] = TIERS.get(str(spec.get("tier", "GeneralPurpose")).lower(), spec.get("tier"))
    if "dev" in spec:
        sku["dev"] = spec["dev"]
    resource["properties"]["licenseType"] = spec.get("licenseType", "LicenseIncluded")
    return resource
