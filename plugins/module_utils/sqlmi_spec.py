# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""arc_sqlmi's options as a SqlManagedInstance spec, and the checks that run before any write.

Pure functions. Only the options the user gave become spec fields (plus the CLI's defaults at
creation), so a re-run patches only what differs and never fights other writers over fields the
module does not own. Comparisons normalise what Arc accepts in several forms: tier short names,
quantities written in different units.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy
import re

from . import quantities

NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
MAX_NAME = 60
TIERS = {"gp": "GeneralPurpose", "generalpurpose": "GeneralPurpose", "bc": "BusinessCritical",
         "businesscritical": "BusinessCritical"}
TIER_CHOICES = ["gp", "bc", "GeneralPurpose", "BusinessCritical"]
LICENSE_TYPES = ["LicenseIncluded", "BasePrice", "DisasterRecovery"]
SERVICE_TYPES = ["LoadBalancer", "NodePort"]
STORAGE_VOLUMES = ("data", "logs", "datalogs", "backups")
# at creation, what `az sql mi-arc create` writes when not told otherwise
CREATE_DEFAULTS = {"licenseType": "LicenseIncluded", "backup": {"retentionPeriodInDays": 7},
                   "storage": {"data": {"volumes": [{"size": "5Gi"}]}, "logs": {"volumes": [{"size": "5Gi"}]}}}
MIN_MEMORY_REQUEST = 2 * 2 ** 30


def canonical_tier(value):
    return TIERS.get(str(value).lower()) if value is not None else None


def default_replicas(tier):
    return 3 if tier == "BusinessCritical" else 1


def license_type(params):
    """The licence the options ask for (None: not asked), refusing a contradiction."""
    wanted = params.get("license_type")
    if params.get("disaster_recovery_site"):
        if wanted not in (None, "DisasterRecovery"):
            raise ValueError("disaster_recovery_site=true means license_type DisasterRecovery, but license_type is "
                             "%r; drop one of the two" % wanted)
        return "DisasterRecovery"
    if params.get("disaster_recovery_site") is False and wanted == "DisasterRecovery":
        raise ValueError("disaster_recovery_site=false contradicts license_type=DisasterRecovery")
    return wanted


def resolve_tier_and_replicas(params, existing_spec=None):
    """(tier, replicas) the way the CLI resolves them: replicas without a tier imply one, and the other
    way round; an existing instance supplies what the options leave out."""
    existing_spec = existing_spec or {}
    tier = canonical_tier(params.get("tier"))
    replicas = params.get("replicas")
    if tier is None and existing_spec:  # an existing instance: Arc's default tier is GeneralPurpose
        tier = canonical_tier(existing_spec.get("tier", "GeneralPurpose"))
    if tier is None:
        tier = "BusinessCritical" if (replicas or 1) > 1 else "GeneralPurpose"
    if replicas is None:
        replicas = existing_spec.get("replicas", default_replicas(tier))
    return tier, replicas


def problems(params, existing=None):
    """Everything wrong with the options, each naming the option, the value and what is allowed."""
    found = []
    name = params["name"]
    if len(name) > MAX_NAME or not NAME.match(name):
        found.append("name %r is not a valid instance name: at most %d characters of lowercase letters, digits "
                     "and '-', starting with a letter and ending with a letter or digit" % (name, MAX_NAME))
    try:
        license_type(params)
    except ValueError as exc:
        found.append(str(exc))
    existing_spec = (existing or {}).get("spec") or {}
    tier, replicas = resolve_tier_and_replicas(params, existing_spec)
    # a tier change is refused by immutable_problems: the replicas of a tier the instance cannot have are moot
    tier_change = existing is not None and tier != canonical_tier(existing_spec.get("tier", "GeneralPurpose"))
    if tier == "GeneralPurpose" and replicas != 1 and not tier_change:
        found.append("replicas=%s is not allowed with tier GeneralPurpose (gp): it runs exactly 1 replica" % replicas)
    if tier == "BusinessCritical" and replicas not in (2, 3) and not tier_change:
        found.append("replicas=%s is not allowed with tier BusinessCritical (bc): use 2 or 3" % replicas)
    secondaries = params.get("readable_secondaries")
    if secondaries is not None and not 0 <= secondaries <= replicas - 1:
        found.append("readable_secondaries=%s must be between 0 and replicas - 1 (%d)" % (secondaries, replicas - 1))
    found += _resource_problems(params)
    found += _storage_problems(params)
    if existing is not None:
        found += immutable_problems(params, existing)
    return found


def _resource_problems(params):
    found = []
    for option in ("cores_request", "cores_limit", "memory_request", "memory_limit"):
        if params.get(option) is not None and quantities.parse(params[option]) is None:
            found.append("%s=%r is not a Kubernetes quantity (e.g. '2' or '500m' for cores, '4Gi' for memory)" % (
                option, params[option]))
    cores = quantities.parse(params.get("cores_request"))
    if cores is not None and (cores < 1 or cores != int(cores)):
        found.append("cores_request=%r must be a whole number of at least 1" % params["cores_request"])
    memory = quantities.parse(params.get("memory_request"))
    if memory is not None and memory < MIN_MEMORY_REQUEST:
        found.append("memory_request=%r must be at least 2Gi" % params["memory_request"])
    for what in ("cores", "memory"):
        request = quantities.parse(params.get("%s_request" % what))
        limit = quantities.parse(params.get("%s_limit" % what))
        if request is not None and limit is not None and request > limit:
            found.append("%s_request=%r is above %s_limit=%r" % (
                what, params["%s_request" % what], what, params["%s_limit" % what]))
    return found


def _storage_problems(params):
    return ["volume_size_%s=%r is not a Kubernetes quantity such as '5Gi'" % (v, params["volume_size_%s" % v])
            for v in STORAGE_VOLUMES
            if params.get("volume_size_%s" % v) is not None and quantities.parse(params["volume_size_%s" % v]) is None]


def immutable_problems(params, existing):
    """The tier is set at creation for good, and so is what disaster_recovery_site means (Arc: a DR instance must be
    created with the DisasterRecovery licence; setting it later 'will not have the same effect'): asking for
    another value is an error before any write. license_type itself may change: after a failover the new primary is
    switched from DisasterRecovery to BasePrice or LicenseIncluded to start billing, and back after a failback."""
    spec = existing.get("spec") or {}
    found = []
    wanted_tier = canonical_tier(params.get("tier"))
    current_tier = canonical_tier(spec.get("tier", "GeneralPurpose"))
    if wanted_tier and wanted_tier != current_tier:
        found.append("tier cannot change after creation: instance %r is %s, the task asks for %s (%s)" % (
            params["name"], current_tier, wanted_tier, params["tier"]))
    try:
        wanted_license = license_type(params)
    except ValueError:
        wanted_license = None  # reported by problems()
    current_license = spec.get("licenseType", "LicenseIncluded")
    if wanted_license and wanted_license != current_license and not params.get("license_type"):
        found.append("disaster_recovery_site=true is a creation-time choice: instance %r exists with licence type %s "
                     "(to switch its licence, as after a failover, use license_type)"
                     % (params["name"], current_license))
    return found


def _volume(params, volume):
    fields = {}
    if params.get("storage_class_%s" % volume) is not None:
        fields["className"] = params["storage_class_%s" % volume]
    if params.get("volume_size_%s" % volume) is not None:
        fields["size"] = params["volume_size_%s" % volume]
    return fields


def desired_spec(params, existing=None):
    """The spec fields the options ask for; at creation with the CLI's defaults filled in."""
    existing_spec = (existing or {}).get("spec") or {}
    tier, replicas = resolve_tier_and_replicas(params, existing_spec)
    spec = {}
    if params.get("tier") is not None or existing is None:
        spec["tier"] = tier
    if params.get("replicas") is not None or existing is None:
        spec["replicas"] = replicas
    wanted_license = license_type(params)
    if wanted_license:
        spec["licenseType"] = wanted_license
    for option, field in (("dev", "dev"), ("readable_secondaries", "readableSecondaries")):
        if params.get(option) is not None:
            spec[field] = params[option]
    resources = {}
    for option, section, resource in (("cores_request", "requests", "cpu"), ("cores_limit", "limits", "cpu"),
                                      ("memory_request", "requests", "memory"),
                                      ("memory_limit", "limits", "memory")):
        if params.get(option) is not None:
            resources.setdefault(section, {})[resource] = str(params[option])
    if resources:
        spec["scheduling"] = {"default": {"resources": resources}}
    storage = dict((v, {"volumes": [_volume(params, v)]}) for v in STORAGE_VOLUMES if _volume(params, v))
    if storage:
        spec["storage"] = storage
    if params.get("service_type"):
        spec["services"] = {"primary": {"type": params["service_type"]}}
    if params.get("collation"):
        spec["settings"] = {"collation": params["collation"]}
    if existing is None or params.get("admin_login_secret"):  # else the instance keeps the Secret it has
        spec["security"] = {"adminLoginSecret": admin_secret_name(params)}
    if existing is None:
        spec = merge(copy.deepcopy(CREATE_DEFAULTS), spec)
    return spec


def admin_secret_name(params, existing=None):
    """The admin login Secret: the option, else the one the existing instance names, else '<name>-login-secret'."""
    current = (((existing or {}).get("spec") or {}).get("security") or {}).get("adminLoginSecret")
    return params.get("admin_login_secret") or current or "%s-login-secret" % params["name"]


def merge(base, overlay):
    """`overlay` merged into `base` (dicts recursively; lists: element-wise for one-volume lists)."""
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        elif key == "volumes" and isinstance(base.get(key), list) and base[key] and value:
            base[key] = [merge(copy.deepcopy(base[key][0]), value[0])] + base[key][1:]
        else:
            base[key] = copy.deepcopy(value)
    return base


def _equal(path, wanted, current):
    if path and path[-1] in ("cpu", "memory", "size"):
        return quantities.same(wanted, current)
    if path and path[-1] == "tier":
        return canonical_tier(wanted) == canonical_tier(current)
    return wanted == current


def _same_volumes(merged, current, path):
    """Whether the merged volume list says what the current one says (sizes compared as quantities)."""
    if not isinstance(current, list) or len(merged) != len(current):
        return False
    return all(spec_patch(m, c, path) is None if isinstance(m, dict) and isinstance(c, dict) else m == c
               for m, c in zip(merged, current))


def spec_patch(wanted, current, path=()):
    """The merge patch taking `current` to `wanted` for the fields `wanted` names; None if nothing differs."""
    patch = {}
    for key, value in wanted.items():
        here = current.get(key) if isinstance(current, dict) else None
        if isinstance(value, dict):
            sub = spec_patch(value, here if isinstance(here, dict) else {}, path + (key,))
            if sub is not None:
                patch[key] = sub
        elif key == "volumes" and isinstance(value, list):
            # a merge patch replaces a list whole: the patched volume keeps the fields the task does not name
            merged = merge({key: copy.deepcopy(here)}, {key: value})[key] if here else value
            if not _same_volumes(merged, here, path + (key,)):
                patch[key] = merged
        elif not _equal(path + (key,), value, here):
            patch[key] = value
    return patch or None


def metadata_patch(params, current_metadata):
    patch = {}
    for field in ("labels", "annotations"):
        wanted = params.get(field) or {}
        have = current_metadata.get(field) or {}
        changes = dict((k, v) for k, v in wanted.items() if have.get(k) != v)
        if changes:
            patch[field] = changes
    return patch or None


def _base64(text):
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def secret_body(name, username, password, labels=None):
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "labels": labels or {"app.kubernetes.io/managed-by": "arcdata.sqlmi"}},
            "data": {"username": _base64(username), "password": _base64(password)}}


def secret_values(secret):
    """(username, password) decoded from a Secret, None for what is missing."""
    data = (secret or {}).get("data") or {}

    def decode(key):
        try:
            return base64.b64decode(data[key]).decode("utf-8") if key in data else None
        except (ValueError, UnicodeDecodeError):
            return None
    return decode("username"), decode("password")


def credential_problems(username, password):
    """The CLI's rules for the admin login (checked before the Secret is written)."""
    found = []
    if username is not None and (not username or username.lower() == "sa"):
        found.append("admin_username must be set and must not be 'sa'")
    if password is not None:
        classes = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]"))
        if len(password) < 8 or classes < 3:
            found.append("admin_password must have at least 8 characters from 3 of: lowercase, uppercase, digits, "
                         "symbols (its value is not shown)")
        if username and username.lower() in password.lower():
            found.append("admin_password must not contain admin_username")
    return found
