"""What the Arc controller (and `az sql mi-arc create`) accepts in a SqlManagedInstance spec.

Pure functions from the object and its admin Secret to a list of problems; each names the field,
the value and what is allowed, as the controller's `status.message` does.
"""
import base64
import re

from . import quantities

NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
TIERS = {"generalpurpose": "GeneralPurpose", "gp": "GeneralPurpose", "businesscritical": "BusinessCritical",
         "bc": "BusinessCritical"}
LICENSE_TYPES = ("LicenseIncluded", "BasePrice", "DisasterRecovery")
MIN_MEMORY_REQUEST = 2 * 2 ** 30
# the ports of the external Services: TDS (spec.services.<service>.port, default 1433) and mirroring (5022, on
# the primary Service beside TDS)
TDS_PORT, MIRRORING_PORT = 1433, 5022
SERVICES = {"primary": "primary", "readableSecondaries": "secondary"}  # spec.services key -> endpoint


def tier_of(spec):
    """The canonical tier name, or None when the value is not a tier."""
    return TIERS.get(str(spec.get("tier", "GeneralPurpose")).lower())


def replicas_of(spec):
    return spec.get("replicas", 3 if tier_of(spec) == "BusinessCritical" else 1)


def license_of(spec):
    """The licence type in force. It may change after creation (after a failover the docs switch the new
    primary from DisasterRecovery to BasePrice or LicenseIncluded), so nothing here refuses a change."""
    return spec.get("licenseType", "LicenseIncluded")


def ports_of(spec):
    """{endpoint: TDS port} for the primary and readable-secondary endpoints."""
    services = spec.get("services") or {}
    return {endpoint: (services.get(key) or {}).get("port") or TDS_PORT for key, endpoint in SERVICES.items()}


def problems(obj, secret, created_with=None):
    """Everything wrong with the instance; `created_with` holds the tier it was created with."""
    name, spec = obj["metadata"]["name"], obj.get("spec") or {}
    found = []
    if len(name) > 60 or not NAME.match(name):
        found.append(f"metadata.name {name!r} is not valid: at most 60 characters, lowercase letters, digits and "
                     "'-', starting with a letter and ending with a letter or digit")
    tier = tier_of(spec)
    if tier is None:
        found.append(f"spec.tier {spec.get('tier')!r} is not one of GeneralPurpose, BusinessCritical, gp, bc")
    elif created_with and tier != created_with:
        found.append(f"spec.tier cannot change after creation: created as {created_with}, now {tier}")
    found += _replica_problems(tier, replicas_of(spec))
    if license_of(spec) not in LICENSE_TYPES:
        found.append(f"spec.licenseType {license_of(spec)!r} is not one of {', '.join(LICENSE_TYPES)}")
    found += _resource_problems(((spec.get("scheduling") or {}).get("default") or {}).get("resources") or {})
    found += _port_problems(spec.get("services") or {})
    found += _secret_problems(spec, secret)
    return found


def _replica_problems(tier, replicas):
    if not isinstance(replicas, int):
        return [f"spec.replicas {replicas!r} is not an integer"]
    if tier == "GeneralPurpose" and replicas != 1:
        return [f"spec.replicas {replicas} is not allowed for GeneralPurpose: it has exactly 1 replica"]
    if tier == "BusinessCritical" and replicas not in (2, 3):
        return [f"spec.replicas {replicas} is not allowed for BusinessCritical: use 2 or 3"]
    return []


def _port_problems(services):
    found = []
    for key in SERVICES:
        port = (services.get(key) or {}).get("port")
        if port is None:
            continue
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            found.append(f"spec.services.{key}.port {port!r} is not a port number (1 to 65535)")
        elif key == "primary" and port == MIRRORING_PORT:
            found.append(f"spec.services.primary.port {port} is the mirroring port of the same Service "
                         "(<mi>-external-svc, port-mssql-mirroring): choose another TDS port")
    return found


def _resource_problems(resources):
    found = []
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    for section, values in (("requests", requests), ("limits", limits)):
        for resource, value in values.items():
            if quantities.parse(value) is None:
                found.append(f"spec.scheduling.default.resources.{section}.{resource} {value!r} is not a quantity")
    cpu, memory = quantities.parse(requests.get("cpu", 1)), quantities.parse(requests.get("memory", "2Gi"))
    if cpu is not None and (cpu < 1 or cpu != int(cpu)):
        found.append(f"spec.scheduling.default.resources.requests.cpu {requests.get('cpu')!r} must be a whole number "
                     "of at least 1")
    if memory is not None and memory < MIN_MEMORY_REQUEST:
        found.append(f"spec.scheduling.default.resources.requests.memory {requests.get('memory')!r} must be at "
                     "least 2Gi")
    for resource in ("cpu", "memory"):
        request, limit = quantities.parse(requests.get(resource)), quantities.parse(limits.get(resource))
        if request is not None and limit is not None and request > limit:
            found.append(f"spec.scheduling.default.resources: {resource} request {requests[resource]!r} is above "
                         f"its limit {limits[resource]!r}")
    return found


def _secret_problems(spec, secret):
    secret_name = (spec.get("security") or {}).get("adminLoginSecret")
    if not secret_name:
        return ["spec.security.adminLoginSecret is required: the name of a Secret with username and password"]
    if secret is None:
        return [f"admin login Secret {secret_name!r} (spec.security.adminLoginSecret) does not exist"]
    data = secret.data or {}
    missing = [k for k in ("username", "password") if k not in data]
    if missing:
        return [f"admin login Secret {secret_name!r} lacks the key(s) {', '.join(missing)}"]
    try:
        username = base64.b64decode(data["username"]).decode()
        password = base64.b64decode(data["password"]).decode()
    except (ValueError, UnicodeDecodeError):
        return [f"admin login Secret {secret_name!r} holds a username or password that is not valid base64 text"]
    return [f"admin login Secret {secret_name!r}: {p}" for p in _credential_problems(username, password)]


def _credential_problems(username, password):
    found = []
    if not username or username.lower() == "sa":
        found.append("the username must be set and must not be 'sa'")
    classes = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]"))
    if len(password) < 8 or classes < 3:
        found.append("the password must have at least 8 characters from 3 of: lowercase, uppercase, digits, symbols")
    if username and username.lower() in password.lower():
        found.append("the password must not contain the username")
    return found
