"""Which object a request is about: the API server's reading of a URL path and method."""
from dataclasses import dataclass

# Subresources of a namespace object, which otherwise would read as a resource inside it.
NAMESPACE_SUBRESOURCES = {"status", "finalize"}
READ_VERB = {"GET": "get", "HEAD": "get"}
WRITE_VERB = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


@dataclass
class RequestInfo:
    is_resource: bool
    path: str
    verb: str = ""
    group: str = ""
    version: str = ""
    namespace: str = ""
    resource: str = ""
    name: str = ""
    subresource: str = ""

    @property
    def audit_resource(self):
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource


def parse(method, path, query):
    """Split /api[s]/... into group, version, namespace, resource, name and subresource."""
    parts = [p for p in path.split("/") if p]
    if not parts or parts[0] not in ("api", "apis"):
        return RequestInfo(is_resource=False, path=path, verb=method.lower())
    if parts[0] == "api":
        group, rest = "", parts[1:]
    else:
        group, rest = (parts[1] if len(parts) > 1 else ""), parts[2:]
    if not rest:  # /api, /apis, /apis/<group>: discovery
        return RequestInfo(is_resource=False, path=path, verb="get", group=group)
    version, rest = rest[0], rest[1:]
    info = RequestInfo(is_resource=bool(rest), path=path, group=group, version=version)
    if not rest:
        info.verb = "get"
        return info
    if rest[0] == "namespaces" and len(rest) >= 3 and not (len(rest) == 3 and rest[2] in NAMESPACE_SUBRESOURCES):
        info.namespace, rest = rest[1], rest[2:]
    info.resource = rest[0]
    info.name = rest[1] if len(rest) > 1 else ""
    info.subresource = "/".join(rest[2:])
    info.verb = _verb(method, info, query)
    return info


def _verb(method, info, query):
    if method in READ_VERB:
        if query.get("watch") in ("1", "true", "True"):
            return "watch"
        return "get" if info.name else "list"
    verb = WRITE_VERB.get(method, method.lower())
    if verb == "delete" and not info.name:
        return "deletecollection"
    return verb
