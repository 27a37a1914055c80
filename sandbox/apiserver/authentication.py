"""Who is calling: each bearer token stands for one user, as in a real API server's static token file, or, for a
short-lived signed token (signed_tokens.py: what an exec credential plugin hands out), the user the token names.

A site has three static tokens: the admin (`kubernetes-admin` in `system:masters`, as kubeadm and kind name it; the Arc
controller and the tests' direct handles use it), and two ServiceAccounts of the site's namespace that the
shipped RoleBindings name (extensions/rbac/arcdata-sqlmi-bindings.yml): the collection's operator and a
read-only viewer. What each may do is authorization.py's business.
"""
import hmac
from dataclasses import dataclass

from .signed_tokens import InvalidToken

ADMIN_NAME = "kubernetes-admin"
SUPERUSER_GROUP = "system:masters"
AUTHENTICATED_GROUP = "system:authenticated"
# the ServiceAccount of each non-admin credential (sandbox/layout.py CREDENTIALS)
SERVICE_ACCOUNTS = {"operator": "arcdata-sqlmi-operator", "viewer": "arcdata-sqlmi-viewer"}


@dataclass(frozen=True)
class Credential:
    """Which short-lived credential signed a user in (Kubernetes puts it in the user's extra information as
    authentication.kubernetes.io/credential-id): the token's id and its expiry, for the audit log."""
    token_id: str
    expires: int


@dataclass(frozen=True)
class User:
    name: str
    groups: tuple = ()
    credential: Credential = None  # None: a static token

    @property
    def is_superuser(self):
        return SUPERUSER_GROUP in self.groups


ADMIN = User(ADMIN_NAME, (SUPERUSER_GROUP, AUTHENTICATED_GROUP))


def service_account(namespace, name):
    """The user a ServiceAccount's token signs in as, with the groups Kubernetes gives it."""
    return User(f"system:serviceaccount:{namespace}:{name}",
                ("system:serviceaccounts", f"system:serviceaccounts:{namespace}", AUTHENTICATED_GROUP))


def user_of(credential, namespace):
    """The user one of the credentials of sandbox/layout.py signs in as."""
    return ADMIN if credential == "admin" else service_account(namespace, SERVICE_ACCOUNTS[credential])


def site_users(namespace, tokens):
    """{token: User} from {credential: token} (credentials as in sandbox/layout.py)."""
    return {token: user_of(credential, namespace) for credential, token in tokens.items()}


class TokenAuthenticator:
    def __init__(self, users_by_token, signed_tokens=None):
        """`signed_tokens`: a signed_tokens.SignedTokens that verifies the site's short-lived tokens, or None."""
        self._users = [(token.encode(), user) for token, user in users_by_token.items() if token]
        self._signed_tokens = signed_tokens

    def authenticate(self, authorization_header):
        """The user of a `Bearer <token>` header, or None (a 401: unknown, invalid or expired)."""
        scheme, given = (authorization_header or "").partition(" ")[::2]
        if scheme.lower() != "bearer":
            return None
        given = given.strip()
        found = None
        for token, user in self._users:  # compare with every token: the time taken tells nothing
            if hmac.compare_digest(given.encode(), token):
                found = user
        if found is None and self._signed_tokens is not None and given:
            found = self._signed_user(given)
        return found

    def _signed_user(self, token):
        try:
            claims = self._signed_tokens.verify(token)
        except InvalidToken:
            return None
        groups = claims.groups if AUTHENTICATED_GROUP in claims.groups else claims.groups + (AUTHENTICATED_GROUP,)
        return User(claims.user_name, groups, Credential(claims.token_id, claims.expires))
