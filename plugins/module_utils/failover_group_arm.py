# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A failover group as Azure Resource Manager holds it (Microsoft.AzureArcData/sqlManagedInstances/failoverGroups),
seen through the FailoverGroup custom resource it projects: the PUT bodies (creation, and the whole resource again
for a change), the custom resource an ARM resource carries, and which of arc_dag's fields differ.

ARM maps `properties.spec` onto the CR's spec, and the CR's metadata, spec and status come back as
`properties.metadata`, `properties.spec` and `properties.status` (direct-mode.md §5). So dag_spec's FailoverGroup
layout reads the ARM spec unchanged, and conditions.py reads the status. Two fields are not in the spec: this side's
instance is the ARM parent, and the partner is `partnerManagedInstanceId`; a creation also sends them as sourceMI and
partnerMI, with the shared name and the partner's URL and certificate, rather than count on the service to fill them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from . import dag_spec
from .arm_resources import parse_resource_id

LAYOUT = "FailoverGroup"
DEFAULT_SYNC_MODE = "async"
# the arc_dag fields a creation sends in properties.spec. The instances are named by the URL and the partner's ID
# too, but whether the service fills sourceMI, partnerMI, the shared name and the partner's URL and certificate from
# them is not documented (direct-mode.md §4): every field the collection knows is sent, so that the custom resource
# is whole whichever way the service behaves.
SENT_FIELDS = ("dag_name", "local_instance", "remote_instance", "remote_mirroring_url", "remote_mirroring_cert",
               "sync_mode", "role")


def properties(resource):
    return (resource or {}).get("properties") or {}


def partner_instance_id(resource):
    return properties(resource).get("partnerManagedInstanceId")


def partner_of(resource):
    """(resource group, instance) of the partner instance the failover group names."""
    parsed = parse_resource_id(partner_instance_id(resource))
    return parsed.get("resource_group"), parsed.get("sqlManagedInstances")


def custom_resource(resource, instance=None):
    """The FailoverGroup custom resource an ARM failover group carries, shaped as the Kubernetes API returns it, under
    the ARM name (the CR's own name is a generated UUID, kept as `metadata.crName`); `instance` is the parent, filled
    into spec.sourceMI when the service left it empty, and the partner into spec.partnerMI likewise. None for None."""
    if resource is None:
        return None
    found = properties(resource)
    metadata = copy.deepcopy(found.get("metadata") or {})
    metadata["crName"] = metadata.get("name")
    metadata["name"] = resource.get("name")
    spec = copy.deepcopy(found.get("spec") or {})
    if instance and not spec.get("sourceMI"):
        spec["sourceMI"] = instance
    partner = partner_of(resource)[1]
    if partner and not spec.get("partnerMI"):
        spec["partnerMI"] = partner
    return {"metadata": metadata, "spec": spec, "status": copy.deepcopy(found.get("status") or {})}


def creation_body(partner_id, wanted):
    """The PUT body creating one side: the partner instance's ID and the spec fields given (both instances, role,
    sync mode, which defaults to async as `az` sends it, and the shared name, partner URL and certificate when
    given)."""
    fields = dict((key, wanted.get(key)) for key in SENT_FIELDS)
    fields["sync_mode"] = fields["sync_mode"] or DEFAULT_SYNC_MODE
    return {"properties": {"partnerManagedInstanceId": partner_id, "spec": dag_spec.to_spec(fields, LAYOUT)}}


def replacement_body(resource, fields):
    """The PUT body of a change: the whole resource as read (a PUT replaces it), with `fields` (arc_dag's names)
    laid over its spec."""
    spec = copy.deepcopy(properties(resource).get("spec") or {})
    spec.update(dag_spec.to_spec(fields, LAYOUT))
    return {"properties": {"partnerManagedInstanceId": partner_instance_id(resource), "spec": spec}}


def current_fields(obj):
    """arc_dag's fields of the custom resource (custom_resource) as it stands."""
    return dag_spec.from_spec(obj.get("spec") or {}, LAYOUT)


def partner_problem(resource, remote_instance, partner_resource_group):
    """Why the options cannot describe this existing failover group's partner (None when they do): a PUT could name
    another partner, but Arc's link to the old one would be left behind."""
    group, partner = partner_of(resource)
    if remote_instance and partner and remote_instance != partner:
        return ("remote_instance=%r, but the failover group's partner is %s: a failover group cannot change its "
                "partner; delete it (state=absent) and create it again" % (remote_instance, partner_instance_id(
                    resource)))
    if partner_resource_group and group and partner_resource_group.lower() != group.lower():
        return ("partner_resource_group=%r, but the failover group's partner is in resource group %r (%s): a failover "
                "group cannot change its partner; delete it (state=absent) and create it again"
                % (partner_resource_group, group, partner_instance_id(resource)))
    return None
