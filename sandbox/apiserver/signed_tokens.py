"""Short-lived signed bearer tokens, as the credentials of Arc-enabled clusters are: a JWT (HS256, PyJWT) that
names the user and its groups and expires, signed with a key of the site's own (`token-signing-key` in its state
directory, mode 0600). It stands for what kubelogin (Microsoft Entra), `aws eks get-token` or a ServiceAccount's
TokenRequest hand out; the site's API accepts one until it expires, then answers 401 as a real server does.

The stand-in exec credential plugin (sandbox/exec_credential.py) issues them; the API server verifies them
(authentication.py)."""
import secrets
import time
import uuid
from dataclasses import dataclass

import jwt

from ..layout import write_private

ALGORITHM = "HS256"


class InvalidToken(Exception):
    """Not one of this site's tokens, or expired: either way the request is answered 401."""


@dataclass(frozen=True)
class Claims:
    """What a verified token says: who, and which credential (its id and expiry, for the audit log)."""
    user_name: str
    groups: tuple
    token_id: str
    expires: int


def ensure_signing_key(path):
    """The site's signing key, created on first use (a random 256-bit key, readable by its owner only)."""
    if not path.exists():
        write_private(path, secrets.token_hex(32) + "\n")
    return path.read_text().strip()


class SignedTokens:
    """Issues and verifies one site's tokens. `audience` is the site's API URL: a token of another site (or of
    another API) fails verification even if it were signed with the same key."""

    def __init__(self, key, audience):
        self._key = key
        self.audience = audience

    def issue(self, user_name, groups, lifetime, now=None):
        """(token, expiry in seconds since the epoch) for `user_name` and `groups`, valid `lifetime` seconds."""
        issued = int(time.time() if now is None else now)
        expires = issued + int(lifetime)
        claims = {"iss": self.audience, "aud": self.audience, "sub": user_name, "groups": list(groups),
                  "iat": issued, "nbf": issued, "exp": expires, "jti": uuid.uuid4().hex}
        return jwt.encode(claims, self._key, algorithm=ALGORITHM), expires

    def verify(self, token):
        """The Claims of a valid, unexpired token of this site; InvalidToken otherwise."""
        try:
            claims = jwt.decode(token, self._key, algorithms=[ALGORITHM], audience=self.audience,
                                issuer=self.audience, options={"require": ["exp", "sub", "jti"]})
        except jwt.ExpiredSignatureError:
            raise InvalidToken("token has expired") from None
        except jwt.InvalidTokenError:
            raise InvalidToken("invalid bearer token") from None
        return Claims(claims["sub"], tuple(claims.get("groups") or ()), claims["jti"], claims["exp"])
