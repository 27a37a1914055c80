# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One site's half of a DAG in direct connection mode: the Azure Resource Manager failover group
`sqlManagedInstances/{local_instance}/failoverGroups/{name}`, with dag_side.DagSide's interface (read, present,
absent, wait_until, result, name, layout, dags, site) so that arc_dag, and the two-site failover, use either.

The rules are DagSide's (dag_spec.role_action, dag_side.role_decision, the same messages); what differs is how they
are carried out. Every write is a PUT of the whole resource (creation with the partner instance's ID; a change is
GET-modify-PUT, never `primary` asked for on update, as `az` refuses it) or a DELETE, refused while Resource Manager
still works on the resource; the long-running operation is followed to its end (provisioningState), then the
projected status is polled (Resource Manager has no watch) until conditions.py's rule holds. ARM has no dry run:
check mode validates here, sends nothing, and returns `arm_request`, the write that was not sent.

A DELETE removes this side only (as `az` does); the partner's side of the same name is then checked, and deleted too
when the caller asks for both sides (`delete_partner`)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from . import azure_permissions, conditions, dag_spec, dag_status
from .arm_failover_groups import ArmFailoverGroups, instances_holding
from .arm_resources import BUSY_STATES, ArcDataResources, provisioning_state
from .dag_side import ABANDONED, LINK_DOWN, LINK_UNKNOWN, ROLE_AFTER, SETTLED_WITHOUT_EFFECT, reported, \
    role_decision, spec_diff, utc_now
from .errors import ApiFailure, ArcError, InvalidInput
from .failover_group_arm import (LAYOUT, SENT_FIELDS, creation_body, current_fields, custom_resource, partner_of,
                                 partner_problem, replacement_body)
from .waiting import poll_for

# Resource Manager never gets `primary` on update (`az sql instance-failover-group-arc update` refuses it), so an
# abandoned switch cannot be withdrawn there
# what each write asks of the Azure principal (the shipped custom role grants them)
WRITE = "Microsoft.AzureArcData/sqlManagedInstances/failoverGroups/write"
DELETE = "Microsoft.AzureArcData/sqlManagedInstances/failoverGroups/delete"
NOT_WITHDRAWN = (". The controller does not act again on an unchanged spec.role, and in direct mode the request "
                 "cannot be withdrawn (Resource Manager is never sent role primary on update, as az refuses it). "
                 "Once the partner and the link are healthy, delete this side (state=absent) and create it again "
                 "with role=primary, or retry with role=force-secondary (demotes at once; transactions the partner "
                 "has not hardened are lost)")


class DirectDagSide(object):
    """The failover group `name` of `local_instance` on `direct_site` (direct_site.DirectSite).

    `local_instance` may be None for an existing failover group: the resource group's instances are searched for
    one that has it. `partner_instance` and `partner_resource_group` (default: the site's) name the partner
    instance where the resource does not (creation, or deleting the partner's side of a side already gone);
    `delete_partner`: state=absent deletes the partner's side of the same name too. The other arguments are
    DagSide's."""

    layout = LAYOUT

    def __init__(self, direct_site, name, local_instance=None, partner_instance=None, partner_resource_group=None,
                 check_mode=False, wait=True, wait_timeout=600, heartbeat=None, warn=None, diff=False,
                 wait_condition="applied", withdraw_abandoned=False, delete_partner=False):
        self.site, self.name = direct_site, name
        self.arc_data = direct_site.arc_data
        self.partner_instance, self.delete_partner = partner_instance, delete_partner
        self.partner_resource_group = partner_resource_group or self.arc_data.resource_group
        self.check_mode, self.wait, self.wait_timeout = check_mode, wait, wait_timeout
        self.wait_condition, self.withdraw_abandoned = wait_condition, withdraw_abandoned
        self.heartbeat, self.diff = heartbeat, diff
        self.warn = warn or (lambda text: None)
        self.site.check_scope()
        self.instance = local_instance or self._locate()
        self.dags = ArmFailoverGroups(self.arc_data, self.instance, direct_site.label)
        self.result = {}
        self._reset()

    def _locate(self):
        """The instance holding the failover group when local_instance is not given (None when none does)."""
        holders = instances_holding(self.arc_data, self.name)
        if len(holders) > 1:
            raise InvalidInput("arc_dag %s on %s: the instances %s each have a failover group of that name: set "
                               "local_instance to this site's instance"
                               % (self.name, self.site.label, ", ".join(holders)), option="local_instance")
        return holders[0] if holders else None

    def _reset(self):
        self.result = {"changed": False, "api_kind": self.layout, "api_version": self.arc_data.api_version,
                       "connection_mode": "direct"}
        if self.instance:
            self.result["resource_id"] = self.dags.resource_id(self.name)

    def read(self):
        return self.dags.get(self.name) if self.instance else None

    def wait_until(self, condition, obj=None):
        return poll_for(self.dags, self.name, condition, self.wait_timeout, obj, heartbeat=self.heartbeat)

    # -- present ------------------------------------------------------------------------------
    def present(self, wanted, cert_file=None, existing=None):
        """Make the failover group as `wanted` (dag_spec.FIELDS; None = leave as it is) and return the result."""
        if self.instance is None and wanted.get("local_instance"):
            self.instance = wanted["local_instance"]
            self.dags = ArmFailoverGroups(self.arc_data, self.instance, self.site.label)
        self._reset()
        if existing is None or self.dags.last_resource is None:
            existing = self.read()
        found = dag_spec.problems(dict(wanted, name=self.name, remote_mirroring_cert_file=cert_file),
                                  existing is None, self.layout, direct=True)
        if existing is not None:
            problem = partner_problem(self.dags.last_resource, wanted.get("remote_instance"),
                                      self.partner_resource_group if self.partner_resource_group !=
                                      self.arc_data.resource_group else None)
            if problem:
                found.append(problem)
            if wanted.get("local_instance") and wanted["local_instance"] != self.instance:
                found.append("local_instance=%r, but the failover group %r belongs to instance %r"
                             % (wanted["local_instance"], self.name, self.instance))
        if found:
            raise InvalidInput("arc_dag %s: %s" % (self.name, "; ".join(found)), problems=found)
        if existing is None:
            return self._create(wanted)
        return self._update(existing, wanted)

    def _create(self, wanted):
        local = self.arc_data.get_instance(self.instance)
        if local is None:
            raise InvalidInput("arc_dag %s: local_instance %r does not exist in resource group %r (%s): create it first "
                               "(arcdata.sqlmi.arc_sqlmi) or set local_instance to this site's instance"
                               % (self.name, self.instance, self.arc_data.resource_group, self.site.label),
                               option="local_instance", value=self.instance)
        partner_id = self._partner_resources().instance_id(wanted["remote_instance"])
        if self._partner_resources().get_instance(wanted["remote_instance"]) is None:
            raise InvalidInput("arc_dag %s: remote_instance %r does not exist in resource group %r (%s): create the "
                               "partner instance first, or set partner_resource_group to its resource group"
                               % (self.name, wanted["remote_instance"], self.partner_resource_group, partner_id),
                               option="remote_instance", value=wanted["remote_instance"])
        self._warn_about_a_dr_site_without_the_dr_licence(local, wanted.get("role"))
        body = creation_body(partner_id, wanted)
        self._may(WRITE, "PUT %s" % self.dags.resource_id(self.name))
        self.result["changed"] = True
        self._diff({}, body["properties"]["spec"])
        if self.check_mode:
            self._not_sent("PUT", body)
            return self._report({"metadata": {"name": self.name}, "spec": body["properties"]["spec"]}, None)
        written = self.arc_data.put_failover_group(self.instance, self.name, body, current={})
        obj = self._written(written)
        self.result["resource_id"] = self.dags.resource_id(self.name)
        if self.wait:
            obj = self._wait_for_change({"metadata": obj["metadata"], "status": {}}, obj)
        return self._report(obj, None)

    def _may(self, action, what):
        """Fail before `what` is sent when the principal may not perform `action` (azure_permissions.py)."""
        azure_permissions.require(self.site, [action], what)

    def _partner_resources(self):
        if self.partner_resource_group.lower() == self.arc_data.resource_group.lower():
            return self.arc_data
        return ArcDataResources(self.arc_data.client, self.partner_resource_group, self.arc_data.api_version,
                                site=self.site.label, timeout=self.arc_data.timeout)

    def _warn_about_a_dr_site_without_the_dr_licence(self, instance, role):
        licence = (instance.get("properties") or {}).get("licenseType") or "LicenseIncluded"
        if role == "secondary" and licence != "DisasterRecovery":
            self.warn("%s on %s: its instance %s, the DR site of this failover group, has licence type %s, not "
                      "DisasterRecovery: Arc's DR set-up creates the DR instance with DisasterRecovery (az sql mi-arc "
                      "create --license-type DisasterRecovery), which cannot be given the same effect later"
                      % (self.dags.describe(self.name), self.site.label, self.instance, licence))

    def _written(self, written):
        """The custom resource of what a PUT ended with (read again when the operation returned no body)."""
        if not (written or {}).get("properties"):
            return self.read()
        self.dags.last_resource = written
        return custom_resource(written, self.instance)

    def _update(self, existing, wanted):
        existing = self._settled(existing)
        abandoned = self._abandoned(existing, wanted.get("role"))
        if abandoned:
            raise ArcError(abandoned + NOT_WITHDRAWN, site=self.site.label, object=self.dags.describe(self.name))
        resource = self.dags.last_resource
        status = existing.get("status") or {}
        current = current_fields(existing)
        previous_role = status.get("role")
        action, why_not = role_decision(wanted.get("role"), current["role"], status)
        if why_not:
            raise InvalidInput("arc_dag %s on %s: %s" % (self.name, self.site.label, why_not))
        fields = fields_to_write(wanted, current, action)
        obj, started = existing, None
        if fields:
            self._refuse_busy(resource)
            body = replacement_body(resource, fields)
            self._may(WRITE, "PUT %s" % self.dags.resource_id(self.name))
            self.result["changed"] = True
            self._diff(existing.get("spec"), body["properties"]["spec"])
            if self.check_mode:
                self._not_sent("PUT", body)
                return self._report(existing, previous_role)
            started = time.monotonic(), utc_now()
            obj = self._written(self.arc_data.put_failover_group(self.instance, self.name, body, current=resource))
            if self.wait:
                baseline = {"metadata": obj["metadata"], "status": status}
                obj = self.wait_until(conditions.dag_role(ROLE_AFTER[action], baseline), obj) if action else \
                    self._wait_for_change(baseline, obj)
        result = self._report(obj, previous_role)
        if action and started:
            result["failover"] = {"action": action, "from_role": previous_role, "to_role": result["role"],
                                  "started": started[1], "finished": utc_now(),
                                  "duration_seconds": round(time.monotonic() - started[0], 3)}
        return result

    def _wait_for_change(self, baseline, obj):
        """Wait for a write that is not a role change, as wait_condition asks (DagSide's rule); `baseline` is the
        object before it, with the generation after it."""
        if self.wait_condition != "connected":
            obj = self.wait_until(conditions.dag_applied(baseline), obj)
            if conditions.link_down_failure(obj):
                self.warn(LINK_DOWN % (self.dags.describe(self.name), self.site.label, dag_status.cause(obj)))
            return obj
        obj = self.wait_until(conditions.dag_connected(baseline), obj)
        if dag_status.link(obj) is None:
            self.warn(LINK_UNKNOWN % (self.dags.describe(self.name), self.site.label))
        return obj

    def _settled(self, obj):
        """As DagSide: the resource once the controller finished with its current generation."""
        status = obj.get("status") or {}
        generation = obj["metadata"].get("generation")
        if status.get("observedGeneration") in (None, generation) or self.check_mode or not self.wait:
            return obj
        return self.wait_until(conditions.dag_settled(obj), obj)

    def _abandoned(self, existing, desired):
        """As DagSide: a role change asked for earlier that the controller finished with without carrying it out."""
        status = existing.get("status") or {}
        spec_role = current_fields(existing)["role"]
        if not self.wait or desired is None or desired != spec_role:
            return None
        action, unused = dag_spec.role_action(desired, status.get("role"))
        if not action or dag_status.state(existing) not in SETTLED_WITHOUT_EFFECT.get(desired, ()):
            return None
        return ABANDONED % (self.name, self.site.label, spec_role, status.get("role"), status.get("state"))

    def _refuse_busy(self, resource):
        """Before a write, in check mode too: Resource Manager still working on the last one refuses the next."""
        state = provisioning_state(resource)
        if state in BUSY_STATES:
            raise ApiFailure("arc_dag %s on %s: %s: Resource Manager is still working on it (provisioningState %s); "
                             "wait for the operation to end and run again" % (
                                 self.name, self.site.label, self.dags.resource_id(self.name), state),
                             site=self.site.label, object=self.dags.resource_id(self.name),
                             reason="OperationInProgress", seen=state)

    # -- reporting ----------------------------------------------------------------------------
    def _not_sent(self, method, body, resource_id=None):
        """Check mode: the write is described, not sent."""
        self.result["arm_request"] = arm_request(self.arc_data, resource_id or self.dags.resource_id(self.name),
                                                 method, body)

    def _diff(self, before, after):
        if self.diff:
            self.result["diff"] = spec_diff(before, after, self.layout)

    def _report(self, obj, previous_role):
        self.result.update(reported(obj, previous_role), provisioning_state=provisioning_state(
            self.dags.last_resource) if not self.check_mode else None)
        return self.result

    # -- absent -------------------------------------------------------------------------------
    def absent(self):
        """Delete this side; then the partner's side of the same name is checked (and deleted with delete_partner)."""
        self._reset()
        existing = self.read()
        resource = self.dags.last_resource if existing is not None else None
        group, partner = partner_of(resource) if resource else (self.partner_resource_group, self.partner_instance)
        if existing is not None:
            self._refuse_busy(resource)
            self._may(DELETE, "DELETE %s" % self.dags.resource_id(self.name))
            self.result["changed"] = True
            self._diff(existing.get("spec"), {})
            if self.check_mode:
                self._not_sent("DELETE", None)
            else:
                self.arc_data.delete_failover_group(self.instance, self.name)
        if partner:
            self.result["partner_side"] = self._partner_side_absent(group, partner, resource)
        return self.result

    def _partner_side_absent(self, group, partner, resource):
        """The partner's side after this one's deletion: gone, deleted here, or left (with a warning)."""
        partner_data = self.arc_data if (group or "").lower() == self.arc_data.resource_group.lower() else \
            ArcDataResources(self.arc_data.client, group, self.arc_data.api_version, site=self.site.label,
                             timeout=self.arc_data.timeout)
        resource_id = partner_data.failover_group_id(partner, self.name)
        side = {"resource_id": resource_id, "deleted": False}
        try:
            found = partner_data.get_failover_group(partner, self.name)
        except ApiFailure as failure:
            if failure.details.get("reason") != "ParentResourceNotFound":
                raise
            found = None  # the partner instance is gone, and its failover groups with it
        side["exists"] = found is not None
        if found is None:
            return side
        if not self.delete_partner:
            self.warn("%s: the partner's side %s still exists (Resource Manager deleted only this side, as az does): "
                      "delete it on the partner site (arc_dag state=absent there), or set delete_partner_side=true"
                      % (self.dags.describe(self.name), resource_id))
            return side
        self._refuse_busy(found)
        self.result["changed"] = True
        if self.check_mode:
            side["arm_request"] = arm_request(partner_data, resource_id, "DELETE", None)
            return side
        partner_data.delete_failover_group(partner, self.name)
        side.update(deleted=True, exists=False)
        return side


def fields_to_write(wanted, current, action):
    """The arc_dag fields a change PUTs: those that differ (the instances are the URL and the partner's ID, not
    written), and the role when it means an action."""
    fields = dict((k, wanted[k]) for k in dag_spec.changed_fields(wanted, current) if k in SENT_FIELDS)
    if action:
        fields["role"] = wanted["role"]
    return fields


def arm_request(arc_data, resource_id, method, body):
    """What the write that check mode does not send would be."""
    url = arc_data.client.credentials.cloud.resource_manager.rstrip("/") + resource_id
    return {"method": method, "url": "%s?api-version=%s" % (url, arc_data.api_version), "body": body, "sent": False}
