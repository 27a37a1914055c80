"""Kubernetes `Status` failures, raised as exceptions and rendered as the API server renders them."""


class ApiError(Exception):
    """A request failure that becomes a `Status` body with the matching HTTP code."""

    def __init__(self, code, reason, message, details=None, headers=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def to_status(self):
        status = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            status["details"] = self.details
        return status


def qualified(rtype):
    """`secrets` for core resources, `sqlmanagedinstances.sql.arcdata.microsoft.com` otherwise."""
    return f"{rtype.plural}.{rtype.group}" if rtype.group else rtype.plural


def _object_details(rtype, name):
    details = {"name": name, "kind": rtype.plural}
    if rtype.group:
        details["group"] = rtype.group
    return details


def not_found(rtype, name):
    return ApiError(404, "NotFound", f'{qualified(rtype)} "{name}" not found', _object_details(rtype, name))


def namespace_not_found(namespace):
    return ApiError(404, "NotFound", f'namespaces "{namespace}" not found', {"name": namespace, "kind": "namespaces"})


def already_exists(rtype, name):
    return ApiError(409, "AlreadyExists", f'{qualified(rtype)} "{name}" already exists', _object_details(rtype, name))


def conflict(rtype, name, why="the object has been modified; please apply your changes to the latest version and try again"):
    return ApiError(409, "Conflict", f'Operation cannot be fulfilled on {qualified(rtype)} "{name}": {why}',
                    _object_details(rtype, name))


def invalid(rtype, name, causes):
    """422 with one cause per bad field; `causes` are dicts with reason, message and field."""
    kind = f"{rtype.kind}.{rtype.group}" if rtype.group else rtype.kind
    rendered = [f"{c['field']}: {c['message']}" for c in causes]
    summary = rendered[0] if len(rendered) == 1 else "[" + ", ".join(rendered) + "]"
    details = {"name": name, "kind": rtype.kind, "causes": causes}
    if rtype.group:
        details["group"] = rtype.group
    return ApiError(422, "Invalid", f'{kind} "{name}" is invalid: {summary}', details)


def invalid_options(options_kind, causes):
    """422 for bad query options (dryRun, fieldValidation), reported against the meta.k8s.io options kind."""
    rendered = "; ".join(f"{c['field']}: {c['message']}" for c in causes)
    return ApiError(422, "Invalid", f'{options_kind}.meta.k8s.io "" is invalid: {rendered}',
                    {"group": "meta.k8s.io", "kind": options_kind, "causes": causes})


def field_cause(field, message, reason="FieldValueInvalid"):
    return {"reason": reason, "message": message, "field": field}


def bad_request(message):
    return ApiError(400, "BadRequest", message)


def unsupported_media_type(content_type, accepted):
    return ApiError(415, "UnsupportedMediaType",
                    f"the body of the request was in an unknown format ({content_type or 'no content type'}) "
                    f"- accepted media types include: {', '.join(accepted)}")


def method_not_allowed(method):
    return ApiError(405, "MethodNotAllowed", f"the server does not allow this method on the requested resource ({method})")


def path_not_found():
    return ApiError(404, "NotFound", "the server could not find the requested resource")


def unauthorized():
    return ApiError(401, "Unauthorized", "Unauthorized")


def forbidden(request):
    """403 for a resource request RBAC denies (authorization.Attributes), worded as Kubernetes words it."""
    resource = f"{request.resource}/{request.subresource}" if request.subresource else request.resource
    where = f'in the namespace "{request.namespace}"' if request.namespace else "at the cluster scope"
    reason = f'User "{request.user}" cannot {request.verb} resource "{resource}" in API group "{request.group}" {where}'
    qualified = f"{request.resource}.{request.group}" if request.group else request.resource
    subject = f'{qualified} "{request.name}"' if request.name else qualified
    details = {key: value for key, value in (("name", request.name), ("group", request.group),
                                             ("kind", request.resource)) if value}
    return ApiError(403, "Forbidden", f"{subject} is forbidden: {reason}", details)


def forbidden_path(user, verb, path):
    """403 for a non-resource path the user may not read."""
    return ApiError(403, "Forbidden", f'forbidden: User "{user}" cannot {verb} path "{path}"')


def expired(requested, oldest):
    return ApiError(410, "Expired", f"too old resource version: {requested} ({oldest})")
