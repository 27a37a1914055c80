"""The service principals of the sandbox's tenant: each a client id, a secret and role assignments,
kept in principals.json (mode 0600, like the sites' tokens). Tests and the inventory read the secrets
from that file; nothing else prints them."""
import json
import secrets
import uuid
from dataclasses import asdict, dataclass, field

from ..layout import write_private
from .rbac import OPERATOR, READER

# name -> (role, whether its tokens are short-lived)
SHIPPED = {
    "operator": (OPERATOR, False),   # what the collection's inventory uses
    "reader": (READER, False),       # `*/read` only: a 403 for every write
    "operator-short": (OPERATOR, True),  # the operator's rights, tokens that expire within seconds
}


@dataclass
class Principal:
    name: str
    client_id: str
    secret: str = field(repr=False)
    object_id: str
    role_assignments: list
    # None: the tenant's default lifetime (AzureConfig.token_lifetime_seconds)
    token_lifetime_seconds: int = None


def create(config):
    principals = {}
    for name, (role, short) in SHIPPED.items():
        principals[name] = Principal(
            name=name, client_id=str(uuid.uuid4()), secret=secrets.token_urlsafe(30), object_id=str(uuid.uuid4()),
            role_assignments=[{"role": role, "scope": config.subscription_scope}],
            token_lifetime_seconds=config.short_token_lifetime_seconds if short else None)
    return principals


def save(path, principals):
    write_private(path, json.dumps({name: asdict(p) for name, p in principals.items()}, indent=2) + "\n")


def load(path):
    return {name: Principal(**values) for name, values in json.loads(path.read_text()).items()}


class Directory:
    """The tenant's principals, looked up by client id (the token endpoint) or object id (ARM)."""

    def __init__(self, principals):
        self.by_client_id = {p.client_id.lower(): p for p in principals.values()}
        self.by_object_id = {p.object_id: p for p in principals.values()}

    def authenticate(self, client_id, secret):
        """The principal, or None; the secret is compared in constant time."""
        principal = self.by_client_id.get((client_id or "").lower())
        if principal is None:
            return None
        return principal if secrets.compare_digest(principal.secret.encode(), (secret or "").encode()) else False
