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
# request keys: a watch a fault rule tells its resourceVersion expired; a watch cut by the operation, as audited
EXPIRE_WATCH = "sandbox.expire_watch"
CUT_FAULT = "sandbox.cut_fault"


class OpenWatch:
    """A watch being served: enough to select it for a cut and to say what was cut."""

    def __init__(self, request, info, user_agent):
        self.request, self.info, self.user_agent = request, info, user_agent

    @property
    def connected(self):
        """False once the client went away (the stream notices only at its next write)."""
        transport = self.request.transport
        return transport is not None and not transport.is_closing()

    def selected(self, user_agent, resource):
        return self.connected and self.user_agent.startswith(user_agent) and resource in ("", self.info.resource)

    def describe(self):
        return {"resource": self.info.resource, "namespace": self.info.namespace, "user_agent": self.user_agent}


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
        self._watches = {}  # task -> OpenWatch: the watches being served, so that a fault can cut them

    def application(self):
        app = web.Application(middlewares=[self._middleware], client_max_size=bodies.MAX_BODY_BYTES + 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        app.on_shutdown.append(self._end_watches)
        return app

    async def _end_watches(self, app):  # pylint: disable=unused-argument
        """Watches otherwise last until their timeout; a stopping server ends them, as a real one does."""
        for task in list(self._watches):
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
            rule = self.faults.pick(info, request.headers.get("User-Agent", ""), _resumed_watch(info, request))
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
                              request.headers.get("User-Agent", ""), request.get(CUT_FAULT) or fault,
                              user.name if user else "", user.credential if user else None)

    async def _inject_before(self, request, rule):
        latency = self.faults.latency_seconds(rule)
        if latency:
            await asyncio.sleep(latency)
        if rule.watch == "expire":
            request[EXPIRE_WATCH] = True
            return
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
        watch_request.expire = request.get(EXPIRE_WATCH, False)
        task = asyncio.current_task()
        self._watches[task] = OpenWatch(request, info, request.headers.get("User-Agent", ""))
        try:
            return await watch.stream(request, self.store, watch_request)
        finally:
            self._watches.pop(task, None)

    def cut_watches(self, user_agent="", resource=""):
        """Reset the connection of every open watch (of clients whose User-Agent starts with `user_agent`, of
        `resource` if given), as a restarted API server or load balancer does; returns what was cut."""
        cut = []
        for task, open_watch in list(self._watches.items()):
            if not open_watch.selected(user_agent, resource):
                continue
            open_watch.request[CUT_FAULT] = {"watch": "cut"}
            if open_watch.request.transport is not None:
                open_watch.request.transport.abort()
            task.cancel()
            cut.append(open_watch.describe())
        return cut

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
        if request.path == "/_sandbox/watches/cut" and request.method == "POST":
            wanted = await request.json() if request.can_read_body else {}
            return json_response({"cut": self.cut_watches(wanted.get("user_agent") or "",
                                                          wanted.get("resource") or "")})
        if request.path == "/_sandbox/watches":
            return json_response({"watches": [w.describe() for w in self._watches.values() if w.connected]})
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


def _resumed_watch(info, request):
    """A watch that resumes from a resourceVersion (not one that starts with the current state)."""
    query = request.query
    return (info.verb == "watch" and query.get("resourceVersion", "") not in ("", "0")
            and query.get("sendInitialEvents") not in ("true", "1"))


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
