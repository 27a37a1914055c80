"""What a user may do: RBAC, evaluated as Kubernetes' RBAC authorizer does, with the Roles and RoleBindings the
collection ships (extensions/rbac/), read from those very files so that the tests prove them.

A request is allowed when the user is a superuser (`system:masters`), when it is a discovery or health path
(every authenticated user may read those: system:discovery, system:public-info-viewer), or when a rule of a
Role bound to the user in the request's namespace matches its API group, resource (with subresource), verb and,
if the rule lists any, resource name. Anything else is answered 403 Forbidden with the message a real server
gives, naming the user, the verb, the resource, the API group and the namespace. A dry run needs the verb like
the real write.
"""
import re
from dataclasses import dataclass

import yaml

from ..layout import REPO_ROOT
from . import errors

RBAC_DIR = REPO_ROOT / "extensions" / "rbac"
ROLES_FILE = RBAC_DIR / "arcdata-sqlmi-role.yml"
BINDINGS_FILE = RBAC_DIR / "arcdata-sqlmi-bindings.yml"
ALL = "*"
# non-resource paths any authenticated user may GET (the default ClusterRoles system:discovery and
# system:public-info-viewer)
PUBLIC_PATHS = re.compile(r"^/(api|apis|openapi)(/.*)?$|^/(version|healthz|livez|readyz)/?$")
FIELD_NAME = re.compile(r"^metadata\.name==?([^,]+)$")


@dataclass(frozen=True)
class Attributes:
    """What a request asks to do, in the terms RBAC rules use."""
    user: str
    verb: str
    group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""
    is_resource: bool = True


def attributes(user, info, query):
    """The Attributes of a parsed request (requestinfo.RequestInfo), as Kubernetes' request info sees them."""
    if not info.is_resource:
        return Attributes(user.name, info.verb, path=info.path, is_resource=False)
    namespace, name = info.namespace, info.name
    if info.resource == "namespaces" and name:
        namespace = name  # a Namespace is authorized as being in itself
    if not name and info.verb in ("list", "watch"):
        name = _name_from_field_selector(query.get("fieldSelector"))
    return Attributes(user.name, info.verb, info.group, info.resource, info.subresource, namespace, name)


def _name_from_field_selector(selector):
    """A list or watch of `metadata.name=<name>` is authorized for that one name (resourceNames rules)."""
    match = FIELD_NAME.match((selector or "").strip())
    return match.group(1) if match else ""


@dataclass(frozen=True)
class Rule:
    """One PolicyRule of a Role."""
    api_groups: tuple
    resources: tuple
    verbs: tuple
    resource_names: tuple = ()

    @classmethod
    def from_dict(cls, rule):
        return cls(tuple(rule.get("apiGroups") or ()), tuple(rule.get("resources") or ()),
                   tuple(rule.get("verbs") or ()), tuple(rule.get("resourceNames") or ()))

    def allows(self, request):
        return (_matches(self.verbs, request.verb) and _matches(self.api_groups, request.group)
                and self._resource_matches(request) and self._name_matches(request))

    def _resource_matches(self, request):
        combined = f"{request.resource}/{request.subresource}" if request.subresource else request.resource
        for resource in self.resources:
            if resource in (ALL, combined):
                return True
            if request.subresource and resource == f"*/{request.subresource}":
                return True
        return False

    def _name_matches(self, request):
        return not self.resource_names or request.name in self.resource_names


def _matches(allowed, value):
    return ALL in allowed or value in allowed


# what every authenticated user may do at any scope (the default ClusterRole system:basic-user): ask what they
# may do themselves (`kubectl auth can-i`; the sandbox does not serve these, so they end in 404 as for the admin)
BASIC_USER_RULES = (Rule(("authorization.k8s.io",), ("selfsubjectaccessreviews", "selfsubjectrulesreviews"),
                         ("create",)),
                    Rule(("authentication.k8s.io",), ("selfsubjectreviews",), ("create",)))


@dataclass(frozen=True)
class Binding:
    """A RoleBinding: the subjects it names hold the Role's rules in the binding's namespace."""
    namespace: str
    role: str
    subjects: tuple

    def binds(self, user):
        return any(_subject_is(subject, user) for subject in self.subjects)


def _subject_is(subject, user):
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "ServiceAccount":
        return user.name == f"system:serviceaccount:{subject.get('namespace')}:{name}"
    if kind == "User":
        return user.name == name
    return kind == "Group" and name in user.groups


class Authorizer:
    def __init__(self, roles, bindings):
        """`roles`: {(namespace, name): [Rule]}; `bindings`: [Binding]."""
        self._roles = roles
        self._bindings = bindings

    @classmethod
    def from_files(cls, namespace, roles_file=ROLES_FILE, bindings_file=BINDINGS_FILE):
        """The shipped Roles, applied in `namespace` (as `kubectl apply -n`), and the shipped RoleBindings."""
        roles = {}
        for role in load_objects(roles_file, "Role"):
            key = (role["metadata"].get("namespace") or namespace, role["metadata"]["name"])
            roles[key] = [Rule.from_dict(rule) for rule in role.get("rules") or []]
        bindings = [_binding(document, namespace) for document in load_objects(bindings_file, "RoleBinding")]
        return cls(roles, bindings)

    def authorize(self, user, info, query):
        """Return if `user` may make the request; raise 403 Forbidden otherwise."""
        if user.is_superuser:
            return
        request = attributes(user, info, query)
        if not request.is_resource:
            if request.verb in ("get", "head") and PUBLIC_PATHS.match(request.path):
                return
            raise errors.forbidden_path(request.user, request.verb, request.path)
        if not self.allows(user, request):
            raise errors.forbidden(request)

    def allows(self, user, request):
        if any(rule.allows(request) for rule in BASIC_USER_RULES):
            return True
        if not request.namespace:  # Roles grant nothing at the cluster scope
            return False
        for binding in self._bindings:
            if binding.namespace == request.namespace and binding.binds(user):
                if any(rule.allows(request) for rule in self._roles.get((binding.namespace, binding.role), ())):
                    return True
        return False


def load_objects(path, kind):
    """The objects of `kind` in a manifest file: its YAML documents, and the items of a v1 List among them."""
    with open(path, encoding="utf-8") as handle:
        documents = [document for document in yaml.safe_load_all(handle) if document]
    objects = []
    for document in documents:
        objects.extend((document.get("items") or []) if document.get("kind") == "List" else [document])
    return [obj for obj in objects if obj.get("kind") == kind]


def _binding(document, namespace):
    reference = document["roleRef"]
    if reference.get("kind") != "Role":
        raise ValueError(f"RoleBinding {document['metadata']['name']}: only Roles are supported, not "
                         f"{reference.get('kind')}")
    return Binding(document["metadata"].get("namespace") or namespace, reference["name"],
                   tuple(document.get("subjects") or ()))
