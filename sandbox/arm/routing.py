"""ARM's front door: match the path (case-insensitively, as ARM does), then in ARM's order authenticate
(401), check the api-version (400), the subscription (404), authorize the action at the request's scope
(403) and find the resource group (404) before the resource provider's handler runs."""
from dataclasses import dataclass

from aiohttp import web

from . import apiversions, rbac
from .errors import ArmError
from .tokens import ExpiredToken, InvalidToken

SUB = ("subscriptions", "{subscription}")
RG = SUB + ("resourcegroups", "{resource_group}")
ARC = ("providers", "microsoft.azurearcdata")
INSTANCE = RG + ARC + ("sqlmanagedinstances", "{instance}")
READ_INSTANCE = "Microsoft.AzureArcData/sqlManagedInstances/read"
FOG_ACTION = "Microsoft.AzureArcData/sqlManagedInstances/failoverGroups/"


@dataclass
class Route:
    pattern: tuple
    resource_type: str
    handlers: dict  # method -> (action, handler name in the provider)


ROUTES = (
    Route(SUB, "subscriptions", {"GET": ("Microsoft.Resources/subscriptions/read", "get_subscription")}),
    Route(RG, "resourceGroups", {"GET": ("Microsoft.Resources/subscriptions/resourceGroups/read",
                                         "get_resource_group")}),
    Route(RG + ("providers", "microsoft.extendedlocation", "customlocations", "{custom_location}"), "customLocations",
          {"GET": ("Microsoft.ExtendedLocation/customLocations/read", "get_custom_location")}),
    Route(RG + ARC + ("datacontrollers", "{data_controller}"), "dataControllers",
          {"GET": ("Microsoft.AzureArcData/dataControllers/read", "get_data_controller")}),
    Route(SUB + ARC + ("sqlmanagedinstances",), "sqlManagedInstances", {"GET": (READ_INSTANCE, "list_instances")}),
    Route(RG + ARC + ("sqlmanagedinstances",), "sqlManagedInstances", {"GET": (READ_INSTANCE, "list_instances")}),
    Route(INSTANCE, "sqlManagedInstances", {
        "GET": (READ_INSTANCE, "get_instance"),
        "PUT": ("Microsoft.AzureArcData/sqlManagedInstances/write", "put_instance"),
        "PATCH": ("Microsoft.AzureArcData/sqlManagedInstances/write", "patch_instance"),
        "DELETE": ("Microsoft.AzureArcData/sqlManagedInstances/delete", "delete_instance")}),
    Route(INSTANCE + ("failovergroups",), "failoverGroups", {"GET": (FOG_ACTION + "read", "list_failover_groups")}),
    Route(INSTANCE + ("failovergroups", "{failover_group}"), "failoverGroups", {
        "GET": (FOG_ACTION + "read", "get_failover_group"),
        "PUT": (FOG_ACTION + "write", "put_failover_group"),
        "DELETE": (FOG_ACTION + "delete", "delete_failover_group")}),
    # Permissions - List For Resource Group: what the caller may do there (any authenticated caller may ask)
    Route(RG + ("providers", "microsoft.authorization", "permissions"), "permissions",
          {"GET": (None, "list_permissions")}),
    Route(SUB + ARC + ("locations", "{location}", "operationstatuses", "{operation}"), "operationStatuses",
          {"GET": ("Microsoft.AzureArcData/locations/operationStatuses/read", "get_operation")}),
)


def match(path):
    """(route, params) for an ARM path, or (None, None)."""
    segments = path.strip("/").split("/")
    for route in ROUTES:
        if len(route.pattern) != len(segments):
            continue
        params = {}
        for expected, actual in zip(route.pattern, segments):
            if expected.startswith("{"):
                params[expected[1:-1]] = actual
            elif expected != actual.lower():
                break
        else:
            return route, params
    return None, None


def authenticate(request):
    """The principal the bearer token names, or ArmError 401 (InvalidAuthenticationToken)."""
    header = request.headers.get("Authorization", "")
    scheme, token = (header.split(" ", 1) + [""])[:2]
    if scheme.lower() != "bearer" or not token.strip():
        problem = "The 'Authorization' header is missing or is not a bearer token."
    else:
        try:
            claims = request.app["tokens"].verify(token.strip())
            principal = request.app["directory"].by_object_id.get(claims.get("oid"))
            if principal is not None:
                return principal
            problem = "The access token names no principal of this tenant."
        except ExpiredToken as exc:
            raise _unauthorized(request, "ExpiredAuthenticationToken", str(exc), "The access token has expired.")
        except InvalidToken as exc:
            problem = str(exc)
    raise _unauthorized(request, "InvalidAuthenticationToken", problem, problem)


def _unauthorized(request, code, message, description):
    config = request.app["config"]
    challenge = (f'Bearer authorization_uri="{config.base_url}/{config.tenant_id}", error="invalid_token", '
                 f'error_description="{description}"')
    return ArmError(401, code, message, headers={"WWW-Authenticate": challenge})


def _check_scope(request, params):
    config = request.app["config"]
    if params["subscription"].lower() != config.subscription_id.lower():
        raise ArmError(404, "SubscriptionNotFound", f"The subscription '{params['subscription']}' could not be found.")


def _check_resource_group(request, params):
    if "resource_group" in params and request.app["config"].site_of_resource_group(params["resource_group"]) is None:
        raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{params['resource_group']}' could not be found.")


async def dispatch(request):
    route, params = match(request.path)
    try:
        if route is None:
            raise ArmError(404, "NotFound", f"No HTTP resource was found that matches the request URI '{request.path}'.")
        if request.method not in route.handlers:
            raise ArmError(405, "HttpMethodNotAllowed",
                           f"The HTTP method '{request.method}' is not supported at '{request.path}'.")
        request["principal"] = authenticate(request)
        request["resource_type"] = route.resource_type
        _inject_fault(request, route)
        version = request.query.get("api-version")
        problem = apiversions.problem(route.resource_type, version)
        if problem:
            raise ArmError(400, *problem)
        _check_scope(request, params)
        action, handler_name = route.handlers[request.method]
        if action is not None:
            authorize(request, action, request.path.rstrip("/"))
        _check_resource_group(request, params)
        return await getattr(request.app["provider"], handler_name)(request, params)
    except ArmError as exc:
        return exc.response()


def _inject_fault(request, route):
    """An error a fault rule answers in place of the request (after authentication, as ARM throttles per
    caller)."""
    rule = request.app["provider"].faults.answer(request.method, route.resource_type)
    if rule is not None:
        request["fault"] = rule.spec
        raise rule.error()


def authorize(request, action, scope):
    try:
        rbac.check(request["principal"], action, scope)
    except rbac.AuthorizationFailed as exc:
        raise ArmError(403, "AuthorizationFailed", str(exc)) from None


def add_routes(app):
    app.router.add_route("*", "/subscriptions/{tail:.*}", dispatch)
    app.router.add_route("*", "/Subscriptions/{tail:.*}", dispatch)
    app.middlewares.append(_unhandled_as_arm_error)


@web.middleware
async def _unhandled_as_arm_error(request, handler):
    try:
        return await handler(request)
    except ArmError as exc:
        return exc.response()
