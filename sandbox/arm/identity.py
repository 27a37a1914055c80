"""The sandbox tenant's Entra endpoints, as MSAL (and so azure-identity's ClientSecretCredential with
`authority=<sandbox>` and `disable_instance_discovery=True`) uses them: OpenID discovery, then the
client-credentials grant at the token endpoint."""
from aiohttp import web

from .errors import entra_error


def _tenant_or_error(request):
    config = request.app["config"]
    tenant = request.match_info["tenant"]
    if tenant.lower() != config.tenant_id.lower():
        return None, entra_error(400, "invalid_tenant", 90002,
                                 f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID "
                                 "and are signing into the correct cloud.")
    return tenant, None


def issuer(config):
    return f"{config.base_url}/{config.tenant_id}/v2.0"


async def openid_configuration(request):
    tenant, error = _tenant_or_error(request)
    if error:
        return error
    base = f"{request.app['config'].base_url}/{tenant}"
    return web.json_response({
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
        "issuer": issuer(request.app["config"]),
        "jwks_uri": f"{base}/discovery/v2.0/keys",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "tenant_region_scope": "EU",
        "cloud_instance_name": "arc-sandbox.local",
    })


def _grant_error(form, request):
    """The Entra error for a client-credentials request that cannot get a token, or the principal."""
    if form.get("grant_type") != "client_credentials":
        return None, entra_error(400, "unsupported_grant_type", 70003,
                                 "The app requested an unsupported grant type (the sandbox serves client_credentials).")
    client_id = form.get("client_id", "")
    principal = request.app["directory"].authenticate(client_id, form.get("client_secret"))
    if principal is None:
        return None, entra_error(400, "unauthorized_client", 700016,
                                 f"Application with identifier '{client_id}' was not found in the directory "
                                 f"'{request.app['config'].tenant_id}'.")
    if principal is False:
        return None, entra_error(401, "invalid_client", 7000215,
                                 "Invalid client secret provided. Ensure the secret being sent in the request is the "
                                 f"client secret value, not the client secret ID, for a secret added to app "
                                 f"'{client_id}'.")
    return principal, None


async def token(request):
    error = _tenant_or_error(request)[1]
    if error:
        return error
    form = await request.post()
    principal, error = _grant_error(form, request)
    request["principal"] = principal
    if error:
        return error
    tokens = request.app["tokens"]
    audience = tokens.audience_of_scope(form.get("scope"))
    if audience is None:
        return entra_error(400, "invalid_resource", 500011,
                           f"The resource principal named {form.get('scope')!r} was not found in the tenant named "
                           f"{request.app['config'].tenant_id}.")
    lifetime = tokens.lifetime(principal.token_lifetime_seconds or request.app["config"].token_lifetime_seconds)
    return web.json_response({"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime,
                              "access_token": tokens.issue(principal, audience, lifetime)},
                             headers={"Cache-Control": "no-store, no-cache"})


def add_routes(app):
    app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", openid_configuration)
    app.router.add_post("/{tenant}/oauth2/v2.0/token", token)
