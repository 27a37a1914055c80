# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A SQL managed instance as Azure Resource Manager holds it (Microsoft.AzureArcData/sqlManagedInstances), seen
through the custom resource it projects: the PUT body that asks for a spec, the custom resource an ARM resource
carries (properties.k8sRaw), and what differs between the two.

ARM maps an instance onto its SqlManagedInstance custom resource (direct-mode.md §5): `properties.k8sRaw.spec` is
the spec, with `sku.tier` and `properties.licenseType` laid over it; back in ARM, `properties.k8sRaw` holds the
custom resource's metadata, spec and status. So the spec the indirect path builds (sqlmi_spec.py) is what a PUT
sends, and sqlmi_spec's comparison tells whether one is needed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from . import sqlmi_spec

MASK = "********"
# the admin login of a PUT; ARM never returns the password
LOGIN = "basicLoginInformation"


def k8s_raw(resource):
    return ((resource or {}).get("properties") or {}).get("k8sRaw") or {}


def custom_resource(resource):
    """The SqlManagedInstance custom resource an ARM instance carries, shaped as the Kubernetes API returns it (so
    that sqlmi_spec, conditions and instance_summary read it unchanged); None for None."""
    if resource is None:
        return None
    raw = k8s_raw(resource)
    metadata = dict(raw.get("metadata") or {})
    metadata["name"] = resource.get("name") or metadata.get("name")
    spec = copy.deepcopy(raw.get("spec") or {})
    # the ARM fields win over the projection: they are what the next PUT sends
    tier = (resource.get("sku") or {}).get("tier")
    if tier:
        spec["tier"] = sqlmi_spec.canonical_tier(tier) or tier
    licence = (resource.get("properties") or {}).get("licenseType")
    if licence:
        spec["licenseType"] = licence
    return {"metadata": metadata, "spec": spec, "status": raw.get("status") or {}}


def changes(wanted, resource):
    """The merge patch from the ARM instance's spec to `wanted` (sqlmi_spec.desired_spec), None when equal."""
    return sqlmi_spec.spec_patch(wanted, custom_resource(resource)["spec"])


def replacement_spec(wanted, resource):
    """The whole spec the PUT of an update sends: the current one with `wanted` merged in."""
    return sqlmi_spec.merge(copy.deepcopy(custom_resource(resource)["spec"]), wanted)


def instance_body(spec, location, custom_location_id, current=None, login=None):
    """The PUT body asking for `spec`: the location and custom location, the SKU (vCore, the tier), the licence and
    the spec as k8sRaw; `login` (username, password) only at creation; `current` keeps what ARM has beside them
    (tags)."""
    sku = {"name": "vCore", "tier": sqlmi_spec.canonical_tier(spec.get("tier", "GeneralPurpose"))}
    if "dev" in spec:
        sku["dev"] = spec["dev"]
    properties = {"licenseType": spec.get("licenseType", "LicenseIncluded"), "k8sRaw": {"spec": spec}}
    if login:
        properties[LOGIN] = {"username": login[0], "password": login[1]}
    body = {"location": location, "extendedLocation": {"type": "CustomLocation", "name": custom_location_id},
            "sku": sku, "properties": properties}
    if current and current.get("tags"):
        body["tags"] = current["tags"]
    return body


def masked(body):
    """The body with the admin password replaced, for the result and messages."""
    shown = copy.deepcopy(body)
    login = (shown.get("properties") or {}).get(LOGIN)
    if login and "password" in login:
        login["password"] = MASK
    return shown


def custom_location_of(resource):
    return ((resource or {}).get("extendedLocation") or {}).get("name")


def without_login(resource):
    """The ARM instance as a result shows it: no admin login information (ARM never returns the password)."""
    shown = copy.deepcopy(resource)
    (shown.get("properties") or {}).pop(LOGIN, None)
    return shown
