# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""arc_sqlmi in direct connection mode: the instance is created, changed and deleted through Azure Resource
Manager (a PUT of the whole resource, a DELETE), and awaited by polling ARM (it has no watch): first the operation
(provisioningState), then the projected custom resource's status (Ready for its generation).

ARM has no dry run: in check mode the options are checked here, nothing is written, and the result's `arm_request`
shows the write that was not sent (the admin password masked)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from . import azure_permissions, conditions, instance_summary, sqlmi_spec
from .arm_instances import ArmInstances
from .errors import InvalidInput
from .sqlmi_arm import (changes, custom_location_of, custom_resource, instance_body, masked, replacement_spec,
                        without_login)
from .waiting import poll_for

# what each write asks of the Azure principal (the shipped custom role grants them)
WRITE = "Microsoft.AzureArcData/sqlManagedInstances/write"
DELETE = "Microsoft.AzureArcData/sqlManagedInstances/delete"
# options of the Kubernetes API only: an ARM instance has no labels, annotations or admin login Secret of its own
KUBERNETES_ONLY = ("labels", "annotations", "admin_login_secret", "api_version")


class DirectInstanceTask(object):
    def __init__(self, arc):
        self.arc = arc
        self.params = arc.params
        self.name = self.params["name"]
        self.site = arc.direct_site
        self.arc_data = self.site.arc_data
        self.instances = ArmInstances(self.site)
        self.result = {"changed": False, "api_version": self.arc_data.api_version,
                       "resource_id": self.arc_data.instance_id(self.name)}
        self.diff = {"before": {}, "after": {}}

    # -- present ------------------------------------------------------------------------------
    def present(self):
        self._refuse_kubernetes_only_options()
        self.site.check_scope()
        resource = self.arc_data.get_instance(self.name)
        existing = custom_resource(resource)
        self._check_options(existing)
        wanted = sqlmi_spec.desired_spec(self.params, existing)
        if resource is None:
            location = self.site.custom_location()
            login = (self.params["admin_username"], self.params["admin_password"])
            body = instance_body(wanted, location["location"], location["id"], login=login)
            self.diff["after"] = {"spec": wanted}
        else:
            self._check_custom_location(resource)
            if changes(wanted, resource) is None:
                return self._settled(resource)
            spec = replacement_spec(wanted, resource)
            body = instance_body(spec, resource["location"], custom_location_of(resource), current=resource)
            self.diff = {"before": {"spec": existing["spec"]}, "after": {"spec": spec}}
        azure_permissions.require(self.site, [WRITE], "PUT %s" % self.result["resource_id"])
        self.result["changed"] = True
        if self.arc.check_mode:
            return self._not_sent("PUT", body, existing)
        written = self.arc_data.put_instance(self.name, body, current=resource)
        return self._settled(written or self.arc_data.get_instance(self.name))

    def _refuse_kubernetes_only_options(self):
        given = [option for option in KUBERNETES_ONLY if self.params.get(option)]
        if given:
            raise InvalidInput("arc_sqlmi %s: %s only work(s) through the Kubernetes API (connection_mode indirect); "
                               "in direct mode remove %s (Azure Resource Manager keeps the instance's spec, licence "
                               "and admin login; arm_api_version sets its API version)"
                               % (self.name, ", ".join(given), ", ".join(given)), option=given[0])

    def _check_options(self, existing):
        found = sqlmi_spec.problems(self.params, existing) + sqlmi_spec.credential_problems(
            self.params.get("admin_username"), self.params.get("admin_password"))
        if existing is None and not (self.params.get("admin_username") and self.params.get("admin_password")):
            found.append("admin_username and admin_password are required to create the instance (Resource Manager "
                         "sets the admin login at creation)")
        if found:
            raise InvalidInput("arc_sqlmi %s: %s" % (self.name, "; ".join(found)), problems=found)

    def _check_custom_location(self, resource):
        """An instance cannot move: a custom_location other than its own is a mistake (another site's)."""
        if not self.params.get("custom_location"):
            return
        wanted = self.site.custom_location()["id"]
        current = custom_location_of(resource) or ""
        if wanted.lower() != current.lower():
            raise InvalidInput("arc_sqlmi %s: custom_location %r is not the instance's custom location %s (an instance "
                               "cannot move between custom locations): set custom_location to the site's own"
                               % (self.name, self.params["custom_location"], current), option="custom_location",
                               value=self.params["custom_location"])

    def _arm_request(self, method, body):
        """What the write that check mode does not send would be."""
        url = self.arc_data.client.credentials.cloud.resource_manager.rstrip("/") + self.result["resource_id"]
        self.result["arm_request"] = {"method": method, "url": "%s?api-version=%s" % (url, self.arc_data.api_version),
                                      "body": masked(body) if body is not None else None, "sent": False}

    def _not_sent(self, method, body, existing):
        """Check mode: the write is described, not sent."""
        self._arm_request(method, body)
        if existing is not None:
            self._report(existing, None)
        return self._with_diff()

    def _settled(self, resource):
        """The instance once it is Ready for its generation (when wait asks for it), reported."""
        obj = custom_resource(resource)
        if self.params["wait"] and (self.result["changed"] or not conditions.ready_for_its_generation(obj)):
            generation = obj["metadata"].get("generation")
            obj = poll_for(self.instances, self.name, conditions.instance_ready(generation),
                           self.params["wait_timeout"], obj)
            resource = self.instances.last_resource or resource
        self._report(obj, resource)
        return self._with_diff()

    def _report(self, obj, resource):
        status = obj.get("status") or {}
        endpoints = status.get("endpoints") or {}
        self.result.update(state=status.get("state"), endpoints=endpoints, summary=instance_summary.summarize(obj))
        if resource is not None:
            self.result["instance"] = without_login(resource)
        if endpoints.get("mirroring"):
            self.result["mirroring_url"] = "tcp://%s" % endpoints["mirroring"]

    def _with_diff(self):
        if self.arc.module._diff and self.result["changed"]:  # pylint: disable=protected-access
            self.result["diff"] = self.diff
        return self.result

    # -- absent -------------------------------------------------------------------------------
    def absent(self):
        self.site.check_scope()
        resource = self.arc_data.get_instance(self.name)
        if resource is None:
            return self.result
        azure_permissions.require(self.site, [DELETE], "DELETE %s" % self.result["resource_id"])
        self.result["changed"] = True
        self.diff = {"before": {"spec": custom_resource(resource)["spec"]}, "after": {}}
        if self.arc.check_mode:
            self._arm_request("DELETE", None)
            return self._with_diff()
        self.arc_data.delete_instance(self.name)
        return self._with_diff()
