"""The HTTP face of the server: authentication, audit, fault injection and request dispatch."""
import asyncio
import hmac
import json
import time

from aiohttp import web

from . import bodies, discovery, errors, openapi, requestinfo, selectors, tables, watch
from .objects import FIELD_VALIDATION
from .patching import APPLY_PATCH

OPS_PREFIX = "/_sandbox/"
HEALTH_PATHS = {"/healthz", "/livez", "/readyz"}


def json_response(body, status=200, headers=None):
    return web.Response(text=json.dumps(body), status=status, content_type="application/json", headers=headers)


def error_response(error):
    return json_response(error.to_status(), status=error.code, headers=error.headers)


class ApiServer:
    """One site's API: `objects` holds the state, this class speaks HTTP for it."""

    def __init__(self, objects, authenticator, authorizer, ops_token, audit, faults, server_address):
        self.objects = objects
        self.store = objects.store
        self.registry = objects.registry
        self.authenticator = authenticator  # authentication.TokenAuthenticator: who calls
        self.authorizer = authorizer  # authorization.Authorizer: what they may do
        self._ops_token = ops_token
        self.audit = audit
        self.faults = faults
        self.server_address = server_address
        self._watch_tasks = set()

    def application(self):
        app = web.Application(middlewares=[self._middleware], client_max_size=bodies.MAX_BODY_BYTES + 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        app.on_shutdown.append(self._end_watches)
        return app

    async def _end_watches(self, app):  # pylint: disable=unused-argument
        """Watches otherwise last until their timeout; a stopping server ends them, as a real one does."""
        for task in list(self._watch_tasks):
            task.cancel()

    # -- cross-cutting ----------------------------------------------------------------------------
    def _ops_authorized(self, request):
        header = request.headers.get("Authorization", "")
        scheme, given = header.partition(" ")[::2]
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), self._ops_token.encode())

    def _admit(self, user, request, info):
        """Before anything else happens, as on a real server: 401 without a known token, 403 when RBAC denies
        the request to the token's user."""
        if user is None:
            raise errors.unauthorized()
        self.authorizer.authorize(user, info, request.query)

    @web.middleware
    async def _middleware(self, request, handler):
        if request.path.startswith(OPS_PREFIX):
            if not self._ops_authorized(request):
                return error_response(errors.unauthorized())
            return await handler(request)
        started = time.time()
        info = requestinfo.parse(request.method, request.path, request.query)
        code, fault, user = 500, None, None
        try:
            user = self.authenticator.authenticate(request.headers.get("Authorization"))
            self._admit(user, request, info)
            rule = self.faults.pick(info, request.headers.get("User-Agent", ""))
            if rule is not None:
                fault = rule.spec
                await self._inject_before(request, rule)
            response = await handler(request)
            code = response.status
            if rule is not None and rule.drop == "after":
                request.transport.abort()
                code = 0
            return response
        except errors.ApiError as exc:
            code = exc.code
            return error_response(exc)
        finally:
            self.audit.record(info, code, started, request.query.get("dryRun") == "All",
                              request.headers.get("User-Agent", ""), fault, user.name if user else "",
                              user.credential if user else None)

    @staticmethod
    async def _inject_before(request, rule):
        if rule.latency_ms:
            await asyncio.sleep(rule.latency_ms / 1000)
        if rule.drop == "before":
            request.transport.abort()
            raise errors.ApiError(0, "Dropped", "connection dropped by fault injection")
        if rule.code is not None:
            raise rule.error()

    # -- routing ----------------------------------------------------------------------------------
    async def _dispatch(self, request):
        if request.path.startswith(OPS_PREFIX):
            return await self._ops(request)
        info = requestinfo.parse(request.method, request.path, request.query)
        if info.is_resource:
            return await self._resource(request, info)
        if request.method not in ("GET", "HEAD"):
            raise errors.method_not_allowed(request.method)
        return self._non_resource(request, info)

    def _non_resource(self, request, info):
        path = request.path.rstrip("/") or "/"
        if path in HEALTH_PATHS:
            return web.Response(text="ok", content_type="text/plain")
        if path == "/version":
            return json_response(discovery.KUBERNETES_VERSION)
        if path in ("/api", "/apis") and discovery.wants_aggregated(request.headers.get("Accept")):
            return web.Response(body=json.dumps(discovery.aggregated(self.registry, core=path == "/api")).encode(),
                                headers={"Content-Type": discovery.AGGREGATED_MEDIA})
        if path == "/api":
            return json_response(discovery.core_versions(self.server_address))
        if path == "/apis":
            return json_response(discovery.group_list(self.registry))
        if path == "/openapi/v3":
            return json_response(openapi.index(self.registry))
        if path.startswith("/openapi/v3/"):
            document = openapi.document_for_path(self.registry, path[len("/openapi/v3/"):])
            return self._found(document)
        if path.startswith("/api/"):
            return self._found(discovery.resource_list(self.registry, "", info.version))
        if path.startswith("/apis/") and info.version:
            return self._found(discovery.resource_list(self.registry, info.group, info.version))
        if path.startswith("/apis/"):
            return self._found(discovery.group(self.registry, info.group))
        raise errors.path_not_found()

    @staticmethod
    def _found(document):
        if document is None:
            raise errors.path_not_found()
        return json_response(document)

    async def _resource(self, request, info):
        rtype = self.registry.lookup(info.group, info.version, info.resource)
        if rtype is None or (info.namespace and not rtype.namespaced):
            raise errors.path_not_found()
        if info.subresource and not (info.subresource == "status" and rtype.has_status):
            raise errors.path_not_found()
        if rtype.namespaced and not info.namespace and info.verb not in ("list", "watch"):
            raise errors.path_not_found()
        if info.verb not in rtype.verbs and not info.subresource:
            raise errors.method_not_allowed(request.method)
        handler = {"get": self._get, "list": self._list, "watch": self._watch, "create": self._create,
                   "update": self._update, "patch": self._patch, "delete": self._delete,
                   "deletecollection": self._delete_collection}.get(info.verb)
        if handler is None:
            raise errors.method_not_allowed(request.method)
        return await handler(request, info, rtype)

    # -- verbs ------------------------------------------------------------------------------------
    async def _get(self, request, info, rtype):
        obj = self.objects.get(rtype, info.version, info.namespace, info.name)
        if tables.wants_table(request.headers.get("Accept")):
            return json_response(tables.to_table(rtype, info.version, [obj], {"resourceVersion": ""},
                                                 request.query.get("includeObject", "Metadata")))
        return json_response(obj)

    def _selectors(self, request, rtype):
        return (selectors.parse_label_selector(request.query.get("labelSelector")),
                selectors.parse_field_selector(request.query.get("fieldSelector"), rtype.plural))

    async def _list(self, request, info, rtype):
        label_match, field_match = self._selectors(request, rtype)
        limit = _int_param(request, "limit")
        items, metadata = self.objects.list(rtype, info.version, info.namespace or None, label_match, field_match,
                                            limit, request.query.get("continue"))
        if tables.wants_table(request.headers.get("Accept")):
            return json_response(tables.to_table(rtype, info.version, items, metadata,
                                                 request.query.get("includeObject", "Metadata")))
        if not rtype.custom:
            items = [{k: v for k, v in i.items() if k not in ("apiVersion", "kind")} for i in items]
        return json_response({"apiVersion": rtype.api_version(info.version), "kind": rtype.list_kind,
                              "metadata": metadata, "items": items})

    async def _watch(self, request, info, rtype):
        label_match, field_match = self._selectors(request, rtype)
        watch_request = watch.WatchRequest(rtype, info.version, info.namespace, label_match, field_match,
                                           request.query)
        task = asyncio.current_task()
        self._watch_tasks.add(task)
        try:
            return await watch.stream(request, self.store, watch_request)
        finally:
            self._watch_tasks.discard(task)

    async def _create(self, request, info, rtype):
        if info.name:
            raise errors.method_not_allowed("POST")
        body = await bodies.read(request, bodies.OBJECT_TYPES)
        obj, warnings = self.objects.create(rtype, info.version, info.namespace, body, _dry_run(request, info.verb),
                                            _field_validation(request, info.verb))
        return json_response(obj, status=201, headers=_warning_headers(warnings))

    async def _update(self, request, info, rtype):
        body = await bodies.read(request, bodies.OBJECT_TYPES)
        obj, warnings = self.objects.update(rtype, info.version, info.namespace, info.name, body,
                                            info.subresource or None, _dry_run(request, info.verb),
                                            _field_validation(request, info.verb))
        return json_response(obj, headers=_warning_headers(warnings))

    async def _patch(self, request, info, rtype):
        content_type = bodies.media_type(request)
        if content_type == APPLY_PATCH:
            raise errors.unsupported_media_type(content_type, ["application/json-patch+json",
                                                               "application/merge-patch+json"]
                                                + ([] if rtype.custom else ["application/strategic-merge-patch+json"]))
        patch = await bodies.read(request, bodies.PATCH_TYPES)
        obj, warnings = self.objects.patch(rtype, info.version, info.namespace, info.name, content_type, patch,
                                           info.subresource or None, _dry_run(request, info.verb),
                                           _field_validation(request, info.verb))
        return json_response(obj, headers=_warning_headers(warnings))

    async def _delete(self, request, info, rtype):
        options = await bodies.read_optional(request)
        if "propagationPolicy" in request.query:
            options["propagationPolicy"] = request.query["propagationPolicy"]
        dry_run = _dry_run(request, info.verb) or options.get("dryRun") == ["All"]
        obj = self.objects.delete(rtype, info.version, info.namespace, info.name, options, dry_run)
        # A namespace, or an object still pending on finalizers, comes back as it is; one deleted at once is
        # answered with a Status, custom resources included (their store does not set ReturnDeletedObject).
        if rtype.plural == "namespaces" or obj["metadata"].get("deletionTimestamp"):
            return json_response(obj)
        details = {"name": info.name, "kind": rtype.plural, "uid": obj["metadata"]["uid"]}
        if rtype.group:
            details["group"] = rtype.group
        return json_response({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                              "details": details})

    async def _delete_collection(self, request, info, rtype):
        options = await bodies.read_optional(request)
        label_match, field_match = self._selectors(request, rtype)
        items = self.objects.delete_collection(rtype, info.version, info.namespace or None, label_match, field_match,
                                               options, _dry_run(request, info.verb))
        return json_response({"apiVersion": rtype.api_version(info.version), "kind": rtype.list_kind,
                              "metadata": {"resourceVersion": str(self.store.resource_version)}, "items": items})

    # -- operations (tests and benchmarks only; not a Kubernetes path) ----------------------------
    async def _ops(self, request):
        if request.path == "/_sandbox/faults":
            if request.method == "PUT":
                try:
                    self.faults.configure(await request.json())
                except (ValueError, TypeError) as exc:
                    return json_response({"error": str(exc)}, status=400)
            elif request.method == "DELETE":
                self.faults.configure([])
            return json_response({"rules": self.faults.describe()})
        if request.path == "/_sandbox/info":
            return json_response({"resourceVersion": self.store.resource_version,
                                  "oldestWatchable": self.store.oldest_watchable})
        return json_response({"error": "unknown operation"}, status=404)


# The options object each verb's query parameters are validated as (422 names it, as a real server does).
OPTIONS_KIND = {"create": "CreateOptions", "update": "UpdateOptions", "patch": "PatchOptions",
                "delete": "DeleteOptions", "deletecollection": "DeleteOptions"}


def _option_cause(name, value, allowed):
    supported = ", ".join(f'"{a}"' for a in allowed)
    return errors.field_cause(name, f'Unsupported value: "{value}": supported values: {supported}',
                              "FieldValueNotSupported")


def _dry_run(request, verb):
    values = request.query.getall("dryRun", [])
    causes = [_option_cause("dryRun", v, ["All"]) for v in values if v != "All"]
    if causes:
        raise errors.invalid_options(OPTIONS_KIND[verb], causes)
    return bool(values)


def _field_validation(request, verb):
    value = request.query.get("fieldValidation") or "Warn"
    if value not in FIELD_VALIDATION:
        raise errors.invalid_options(OPTIONS_KIND[verb], [_option_cause("fieldValidation", value, FIELD_VALIDATION)])
    return value


def _int_param(request, name):
    value = request.query.get(name)
    if value in (None, ""):
        return 0
    try:
        return int(value)
    except ValueError:
        raise errors.bad_request(f'invalid {name} "{value}": must be an integer')


def _warning_headers(warnings):
    if not warnings:
        return None
    from multidict import CIMultiDict
    headers = CIMultiDict()
    for warning in warnings:
        headers.add("Warning", '299 - "' + warning.replace('"', '\\"') + '"')
    return headers
