"""The cloud metadata document (`GET /metadata/endpoints`): where a client finds ARM, the login endpoint
and the token audience, so one URL points it at the sandbox (as Azure Stack Hub's does)."""
from aiohttp import web

CLOUD_NAME = "ArcSandbox"
# 2015-01-01 (what msrestazure's get_cloud_from_metadata_endpoint asks for) answers one object in the old
# shape; 2019-05-01 and later answer a list of clouds in the current shape, as management.azure.com does
LEGACY_VERSION = "2015-01-01"


def audiences(config):
    return [f"{config.base_url}/"]


def current_shape(config):
    base = f"{config.base_url}/"
    return {"name": CLOUD_NAME, "portal": base, "resourceManager": base, "gallery": base, "graph": base,
            "graphAudience": base, "media": base, "sqlManagement": base, "batch": base,
            "authentication": {"loginEndpoint": base, "audiences": audiences(config), "tenant": "common",
                               "identityProvider": "AAD"},
            "suffixes": {"keyVaultDns": "vault.arc-sandbox.local", "storage": "arc-sandbox.local",
                         "sqlServerHostname": "database.arc-sandbox.local"}}


def legacy_shape(config):
    base = f"{config.base_url}/"
    return {"galleryEndpoint": base, "graphEndpoint": base, "portalEndpoint": base,
            "authentication": {"loginEndpoint": base, "audiences": audiences(config)}}


async def endpoints(request):
    config = request.app["config"]
    if request.query.get("api-version", LEGACY_VERSION) <= LEGACY_VERSION:
        return web.json_response(legacy_shape(config))
    return web.json_response([current_shape(config)])
