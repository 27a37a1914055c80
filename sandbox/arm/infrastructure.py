"""What ARM shows around the instances: the subscription, each site's resource group, custom location
(mapped to the site's namespace) and data controller (its CR as k8sRaw, in direct connection mode)."""
from aiohttp import web

from . import rbac
from .errors import not_found
from .resource_ids import CUSTOM_LOCATION_TYPE, DATA_CONTROLLER_TYPE


class InfrastructureHandlers:
    """Mixed into the Provider."""

    async def get_subscription(self, request, params):
        config = self.config
        return web.json_response({"id": config.subscription_scope, "subscriptionId": config.subscription_id,
                                  "tenantId": config.tenant_id, "displayName": "Arc sandbox", "state": "Enabled"})

    async def list_permissions(self, request, params):
        """The actions the caller's role assignments give it over the resource group (Permissions - List For
        Resource Group): one entry per assignment that covers the group."""
        scope = self.config.resource_group_id(self.config.site_of_resource_group(params["resource_group"]))
        entries = [{"actions": list(rbac.ROLE_DEFINITIONS[a["role"]]), "notActions": [], "dataActions": [],
                    "notDataActions": []}
                   for a in request["principal"].role_assignments if rbac.covers(scope, a["scope"])]
        return web.json_response({"value": entries})

    async def get_resource_group(self, request, params):
        site = self.config.site_of_resource_group(params["resource_group"])
        binding = self.config.binding(site)
        return web.json_response({"id": self.config.resource_group_id(site), "name": binding.resource_group,
                                  "type": "Microsoft.Resources/resourceGroups", "location": self.config.location,
                                  "properties": {"provisioningState": "Succeeded"}})

    def _cluster_id(self, site):
        return f"{self.config.resource_group_id(site)}/providers/Microsoft.Kubernetes/connectedClusters/arc-{site}"

    async def get_custom_location(self, request, params):
        site = self.config.site_of_resource_group(params["resource_group"])
        binding = self.config.binding(site)
        if params["custom_location"].lower() != binding.custom_location.lower():
            raise not_found(CUSTOM_LOCATION_TYPE, params["custom_location"], params["resource_group"])
        cluster = self._cluster_id(site)
        return web.json_response({
            "id": self.config.custom_location_id(site), "name": binding.custom_location,
            "type": CUSTOM_LOCATION_TYPE, "location": self.config.location,
            "properties": {"hostType": "Kubernetes", "hostResourceId": cluster, "namespace": binding.namespace,
                           "displayName": binding.custom_location, "provisioningState": "Succeeded",
                           "clusterExtensionIds": [f"{cluster}/providers/Microsoft.KubernetesConfiguration/"
                                                   "extensions/arc-data-services"]}})

    async def get_data_controller(self, request, params):
        site = self.config.site_of_resource_group(params["resource_group"])
        cr = next((obj for name, obj in self.links[site].informers["dataController"].objects.items()
                   if name.lower() == params["data_controller"].lower()), None)
        if cr is None:
            raise not_found(DATA_CONTROLLER_TYPE, params["data_controller"], params["resource_group"])
        name = cr["metadata"]["name"]
        return web.json_response({
            "id": f"{self.config.resource_group_id(site)}/providers/{DATA_CONTROLLER_TYPE}/{name}", "name": name,
            "type": DATA_CONTROLLER_TYPE, "location": self.config.location,
            "extendedLocation": {"type": "CustomLocation", "name": self.config.custom_location_id(site)},
            "properties": {"provisioningState": "Succeeded", "infrastructure": "onpremises",
                           "clusterId": self._cluster_id(site),
                           "k8sRaw": {"apiVersion": cr.get("apiVersion"), "kind": cr.get("kind"),
                                      "metadata": cr.get("metadata"), "spec": cr.get("spec"),
                                      "status": cr.get("status") or {}}}})
