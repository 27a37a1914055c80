"""Azure role-based access control as ARM applies it: role definitions (lists of actions with `*`
wildcards), role assignments (principal, role, scope), and the check that answers 403
AuthorizationFailed naming the client, the action and the scope."""
import fnmatch
import json

from ..layout import REPO_ROOT

READER = "Reader"
OPERATOR = "Arc SQL MI DR Operator"
# the custom role the collection ships: the operator principal gets exactly its actions, so every test that runs
# the playbooks as the operator shows that the shipped role is enough
OPERATOR_ROLE_FILE = REPO_ROOT / "extensions" / "azure" / "arcdata-sqlmi-role.json"


def _shipped_actions():
    return tuple(json.loads(OPERATOR_ROLE_FILE.read_text())["Actions"])


# Built-in Reader: `*/read` (Azure built-in roles, Reader).
ROLE_DEFINITIONS = {
    READER: ("*/read",),
    OPERATOR: _shipped_actions(),
}


class AuthorizationFailed(Exception):
    def __init__(self, principal, action, scope):
        # ARM's wording; the client id and object id are not secrets
        super().__init__(f"The client '{principal.client_id}' with object id '{principal.object_id}' does not have "
                         f"authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. "
                         "If access was recently granted, please refresh your credentials.")
        self.action, self.scope = action, scope


def covers(scope, assignment_scope):
    """Whether an assignment at `assignment_scope` applies at `scope`."""
    return _within(scope, assignment_scope)


def _within(scope, assignment_scope):
    """An assignment at /subscriptions/x covers everything under it (case-insensitive, whole segments)."""
    scope, assignment_scope = scope.lower().rstrip("/"), assignment_scope.lower().rstrip("/")
    return scope == assignment_scope or scope.startswith(assignment_scope + "/")


def _allows(role, action):
    return any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in ROLE_DEFINITIONS[role])


def check(principal, action, scope):
    """Raise AuthorizationFailed unless one of the principal's role assignments allows `action` at `scope`."""
    for assignment in principal.role_assignments:
        if _within(scope, assignment["scope"]) and _allows(assignment["role"], action):
            return
    raise AuthorizationFailed(principal, action, scope)
