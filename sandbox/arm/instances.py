"""Microsoft.AzureArcData/sqlManagedInstances: PUT (create or replace, long-running, needs an
extendedLocation naming a known custom location), GET, LIST (by resource group and subscription),
PATCH (tags only) and DELETE (long-running), each projected onto the site's SqlManagedInstance CR."""
import copy

from aiohttp import web

from . import instance_mapping
from .errors import ArmError, not_found
from .operations import refuse_if_busy
from .resource_ids import INSTANCE_TYPE, instance_id
from .store import now

DEPLOY_ACTION = "Microsoft.ExtendedLocation/customLocations/deploy/action"


def _invalid(message):
    return ArmError(400, "InvalidParameter", message)


class InstanceHandlers:
    """Mixed into the Provider."""

    def _instance_record(self, params):
        resource_id = instance_id(params["subscription"], params["resource_group"], params["instance"])
        return resource_id, self.store.get(resource_id)

    def _existing_instance(self, params):
        resource_id, record = self._instance_record(params)
        if record is None:
            raise not_found(INSTANCE_TYPE, params["instance"], params["resource_group"])
        return resource_id, record

    async def get_instance(self, request, params):
        return web.json_response(self._existing_instance(params)[1]["resource"])

    async def list_instances(self, request, params):
        return web.json_response({"value": [r["resource"] for r in self.store.under(request.path.rsplit(
            "/providers/", 1)[0], "instance")]})

    def _validated_instance(self, body):
        """(site, custom location id) of a PUT body, or 400."""
        if not isinstance(body.get("location"), str) or not body["location"]:
            raise _invalid("The request must give 'location'.")
        extended = body.get("extendedLocation") or {}
        if extended.get("type") != "CustomLocation" or not extended.get("name"):
            raise _invalid("The request must give 'extendedLocation' with type 'CustomLocation' and the custom "
                           "location's resource id as name.")
        site = self.config.site_of_custom_location(extended["name"])
        if site is None:
            raise ArmError(400, "InvalidExtendedLocation", f"The custom location '{extended['name']}' was not found.")
        tier = (body.get("sku") or {}).get("tier")
        if tier is not None and str(tier).lower() not in instance_mapping.TIERS:
            raise _invalid(f"sku.tier '{tier}' is not one of GeneralPurpose, BusinessCritical.")
        licence = (body.get("properties") or {}).get("licenseType")
        if licence is not None and licence not in instance_mapping.LICENSE_TYPES:
            raise _invalid(f"properties.licenseType '{licence}' is not one of "
                           f"{', '.join(instance_mapping.LICENSE_TYPES)}.")
        return site, extended["name"]

    async def put_instance(self, request, params):
        body = await self.body(request)
        site, custom_location = self._validated_instance(body)
        self.authorize(request, DEPLOY_ACTION, custom_location)
        resource_id, record = self._instance_record(params)
        refuse_if_busy(record)
        existed = record is not None
        if existed and record["site"] != site:
            raise _invalid(f"The instance is on custom location of site {record['site']}; it cannot move.")
        name = record["resource"]["name"] if record else params["instance"]
        properties = copy.deepcopy(body.get("properties") or {})
        login = properties.pop("basicLoginInformation", None) or {}
        if login.get("username"):
            properties["basicLoginInformation"] = {"username": login["username"]}  # never the password
        properties["provisioningState"] = "Accepted"
        resource = {"id": resource_id, "name": name, "type": INSTANCE_TYPE, "location": body["location"],
                    "extendedLocation": body["extendedLocation"], "sku": body.get("sku") or {"name": "vCore"},
                    "tags": body.get("tags") or {}, "properties": properties,
                    "systemData": {"lastModifiedAt": now(), "lastModifiedBy": request["principal"].client_id,
                                   "lastModifiedByType": "Application"}}
        record = {"resource": resource, "site": site, "kind": "instance", "cr_name": name}
        self.store.put(record)
        response, operation_id = self.accepted(request, record, 200 if existed else 201, body["location"])
        spec = instance_mapping.cr_spec(name, {**body, "properties": body.get("properties") or {}})

        async def project():
            link = self.links[site]
            if login.get("username") and login.get("password"):
                await link.apply_login_secret(instance_mapping.login_secret_name(name, spec), login["username"],
                                              login["password"])
            self.project_written(resource_id, await link.apply("instance", name, spec, resource_id))
        self.run_operation(operation_id, record, project)
        return response

    async def patch_instance(self, request, params):
        body = await self.body(request)
        record = self._existing_instance(params)[1]
        if set(body) - {"tags"}:
            raise _invalid("Only 'tags' can be updated with PATCH; replace the instance with PUT to change it.")
        record["resource"]["tags"] = body.get("tags") or {}
        self.store.put(record)
        return web.json_response(record["resource"])

    async def delete_instance(self, request, params):
        resource_id, record = self._instance_record(params)
        if record is None:
            return web.Response(status=204)
        response, operation_id = self.begin_delete(request, record, record["resource"]["location"])

        async def project():
            link = self.links[record["site"]]
            for child in self.store.children(resource_id):  # ARM deletes a resource's children with it
                await link.delete("failoverGroup", child["cr_name"])
                self.store.remove(child["resource"]["id"])
            await link.delete("instance", record["cr_name"])
            self.store.remove(resource_id)
        self.run_operation(operation_id, record, project)
        return response
