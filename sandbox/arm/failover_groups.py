"""Microsoft.AzureArcData/sqlManagedInstances/failoverGroups: PUT (create or replace: role changes are a
GET-modify-PUT, there is no action endpoint), GET, LIST and DELETE, each projected onto a FailoverGroup CR
with a generated UUID name in the instance's site namespace (direct-mode.md §2.2, §5)."""
import copy
import uuid

from aiohttp import web

from . import failover_group_mapping as mapping
from .errors import ArmError, not_found
from .operations import refuse_if_busy
from .resource_ids import FAILOVER_GROUP_TYPE, failover_group_id, instance_id, parse_instance_id
from .sitelink import WriteRejected


def _invalid(message):
    return ArmError(400, "InvalidParameter", message)


def _validated(body):
    """The properties of a PUT body, or 400 naming what is wrong."""
    properties = body.get("properties")
    if not isinstance(properties, dict):
        raise _invalid("The request must give 'properties'.")
    if not parse_instance_id(properties.get("partnerManagedInstanceId")):
        raise _invalid("properties.partnerManagedInstanceId must be the resource id of a "
                       "Microsoft.AzureArcData/sqlManagedInstances resource.")
    spec = properties.get("spec")
    if not isinstance(spec, dict) or spec.get("role") not in mapping.ROLES:
        raise _invalid(f"properties.spec.role must be one of {', '.join(mapping.ROLES)}.")
    if spec.get("partnerSyncMode") not in (None, *mapping.SYNC_MODES):
        raise _invalid(f"properties.spec.partnerSyncMode must be one of {', '.join(mapping.SYNC_MODES)}.")
    return properties


class FailoverGroupHandlers:
    """Mixed into the Provider."""

    def _parent(self, params):
        parent_id = instance_id(params["subscription"], params["resource_group"], params["instance"])
        parent = self.store.get(parent_id)
        if parent is None:
            raise ArmError(404, "ParentResourceNotFound",
                           f"Can not perform requested operation on nested resource. Parent resource "
                           f"'{params['instance']}' not found.")
        return parent

    def _failover_group(self, params):
        parent = self._parent(params)
        resource_id = failover_group_id(parent["resource"]["id"], params["failover_group"])
        return parent, resource_id, self.store.get(resource_id)

    async def get_failover_group(self, request, params):
        record = self._failover_group(params)[2]
        if record is None:
            raise not_found(FAILOVER_GROUP_TYPE, f"{params['instance']}/{params['failover_group']}",
                            params["resource_group"])
        return web.json_response(record["resource"])

    async def list_failover_groups(self, request, params):
        parent = self._parent(params)
        return web.json_response({"value": [r["resource"] for r in self.store.children(parent["resource"]["id"])]})

    async def put_failover_group(self, request, params):
        properties = _validated(await self.body(request))
        parent, resource_id, record = self._failover_group(params)
        refuse_if_busy(record)
        existed = record is not None
        name = record["resource"]["name"] if existed else params["failover_group"]
        spec = mapping.requested_spec(properties)
        resource = {"id": resource_id, "name": name, "type": FAILOVER_GROUP_TYPE,
                    "properties": {"provisioningState": "Accepted",
                                   "partnerManagedInstanceId": properties["partnerManagedInstanceId"],
                                   "spec": copy.deepcopy(spec)}}
        record = {"resource": resource, "site": parent["site"], "kind": "failoverGroup",
                  # the UniqueUUID naming strategy: a new CR name once, kept for the resource's life
                  "cr_name": record["cr_name"] if existed else str(uuid.uuid4())}
        self.store.put(record)
        response, operation_id = self.accepted(request, record, 200 if existed else 201,
                                               parent["resource"]["location"])

        async def project():
            cr_spec = spec
            if self.behaviour.fill_partner_certificate:
                partner_id = properties["partnerManagedInstanceId"]
                try:
                    cr_spec = mapping.filled_spec(spec, name, parent["resource"]["name"],
                                                  parse_instance_id(partner_id)["name"],
                                                  (self.store.get(partner_id) or {}).get("resource"))
                except mapping.PartnerNotReady as exc:
                    raise WriteRejected(str(exc)) from None
            written = await self.links[record["site"]].apply("failoverGroup", record["cr_name"], cr_spec, resource_id)
            self.project_written(resource_id, written)
        self.run_operation(operation_id, record, project)
        return response

    async def delete_failover_group(self, request, params):
        parent, resource_id, record = self._failover_group(params)
        if record is None:
            return web.Response(status=204)
        response, operation_id = self.begin_delete(request, record, parent["resource"]["location"])
        targets = [record] + (self._partner_side(record) if self.behaviour.delete_cascades else [])

        async def project():
            for target in targets:
                await self.links[target["site"]].delete("failoverGroup", target["cr_name"])
                self.store.remove(target["resource"]["id"])
        self.run_operation(operation_id, record, project)
        return response

    def _partner_side(self, record):
        """The partner instance's failover group of the same ARM name (what a cascading delete removes too)."""
        partner_id = record["resource"]["properties"]["partnerManagedInstanceId"]
        partner = self.store.get(failover_group_id(partner_id, record["resource"]["name"]))
        return [partner] if partner is not None else []
