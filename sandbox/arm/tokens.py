"""Access tokens: JWTs signed (HS256) with the sandbox tenant's key, carrying what an Entra token for ARM
carries (aud, iss, tid, appid, oid, iat, nbf, exp). ARM checks signature, audience and expiry."""
import secrets
import time

import jwt

from ..layout import write_private


class InvalidToken(Exception):
    """The token is missing, malformed, for another audience, or expired (the message says which)."""


def ensure_signing_key(path):
    if not path.exists():
        write_private(path, secrets.token_hex(32) + "\n")
    return path.read_text().strip()


class TokenService:
    def __init__(self, key, issuer, tenant_id, audiences):
        self._key = key
        self.issuer, self.tenant_id = issuer, tenant_id
        self.audiences = [a.rstrip("/") for a in audiences]

    def audience_of_scope(self, scope):
        """The resource a client-credentials `scope` (`<resource>/.default`) names, if ARM is it."""
        for item in (scope or "").split():
            resource = item[:-len("/.default")] if item.endswith("/.default") else item
            if resource.rstrip("/") in self.audiences:
                return resource
        return None

    def issue(self, principal, audience, lifetime):
        now = int(time.time())
        claims = {"aud": audience, "iss": self.issuer, "tid": self.tenant_id, "appid": principal.client_id,
                  "oid": principal.object_id, "sub": principal.object_id, "iat": now, "nbf": now,
                  "exp": now + lifetime}
        return jwt.encode(claims, self._key, algorithm="HS256")

    def verify(self, token):
        """The token's claims, or InvalidToken."""
        try:
            claims = jwt.decode(token, self._key, algorithms=["HS256"], options={"verify_aud": False},
                                issuer=self.issuer)
        except jwt.ExpiredSignatureError:
            raise InvalidToken("The access token has expired.") from None
        except jwt.InvalidTokenError:
            raise InvalidToken("The access token is invalid.") from None
        if str(claims.get("aud", "")).rstrip("/") not in self.audiences:
            raise InvalidToken(f"The access token has an invalid audience '{claims.get('aud')}'.")
        return claims
