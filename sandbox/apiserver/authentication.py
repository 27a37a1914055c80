"""Who is calling: each bearer token stands for one user, as in a real API server's static token file.

A site has three: the admin (`kubernetes-admin` in `system:masters`, as kubeadm and kind name it; the Arc
controller and the tests' direct handles use it), and two ServiceAccounts of the site's namespace that the
shipped RoleBindings name (extensions/rbac/arcdata-sqlmi-bindings.yml): the collection's operator and a
read-only viewer. What each may do is authorization.py's business.
"""
import hmac
from dataclasses import dataclass

ADMIN_NAME = "kubernetes-admin"
SUPERUSER_GROUP = "system:masters"
AUTHENTICATED_GROUP = "system:authenticated"
# the ServiceAccount of each non-admin credential (sandbox/layout.py CREDENTIALS)
SERVICE_ACCOUNTS = {"operator": "arcdata-sqlmi-operator", "viewer": "arcdata-sqlmi-viewer"}


@dataclass(frozen=True)
class User:
    name: str
    groups: tuple = ()

    @property
    def is_superuser(self):
        return SUPERUSER_GROUP in self.groups


ADMIN = User(ADMIN_NAME, (SUPERUSER_GROUP, AUTHENTICATED_GROUP))


def service_account(namespace, name):
    """The user a ServiceAccount's token signs in as, with the groups Kubernetes gives it."""
    return User(f"system:serviceaccount:{namespace}:{name}",
                ("system:serviceaccounts", f"system:serviceaccounts:{namespace}", AUTHENTICATED_GROUP))


def site_users(namespace, tokens):
    """{token: User} from {credential: token} (credentials as in sandbox/layout.py)."""
    users = {}
    for credential, token in tokens.items():
        users[token] = ADMIN if credential == "admin" else service_account(namespace, SERVICE_ACCOUNTS[credential])
    return users


class TokenAuthenticator:
    def __init__(self, users_by_token):
        self._users = [(token.encode(), user) for token, user in users_by_token.items() if token]

    def authenticate(self, authorization_header):
        """The user of a `Bearer <token>` header, or None (a 401)."""
        scheme, given = (authorization_header or "").partition(" ")[::2]
        if scheme.lower() != "bearer":
            return None
        given = given.strip().encode()
        found = None
        for token, user in self._users:  # compare with every token: the time taken tells nothing
            if hmac.compare_digest(given, token):
                found = user
        return found
