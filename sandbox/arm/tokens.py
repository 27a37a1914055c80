"""Access tokens: JWTs signed (HS256) with the sandbox tenant's key, carrying what an Entra token for ARM
carries (aud, iss, tid, appid, oid, iat, nbf, exp). ARM checks signature, audience and expiry."""
import datetime
import secrets
import time

import jwt

from ..layout import write_private


class InvalidToken(Exception):
    """The token is missing, malformed, or for another audience (the message says which)."""


class ExpiredToken(InvalidToken):
    """The token's lifetime is over, or it was revoked (its lifetime cut short then): ARM's message says when."""

    def __init__(self, expiry, now):
        super().__init__(f"The access token expiry UTC time '{_arm_time(expiry)}' is earlier than current UTC time "
                         f"'{_arm_time(now)}'.")


def _arm_time(timestamp):
    """A time as ARM writes it in this message: 3/9/2024 10:22:01 AM."""
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc)
    return f"{moment.month}/{moment.day}/{moment.year} {moment.strftime('%I:%M:%S %p').lstrip('0')}"


def ensure_signing_key(path):
    if not path.exists():
        write_private(path, secrets.token_hex(32) + "\n")
    return path.read_text().strip()


class TokenService:
    def __init__(self, key, issuer, tenant_id, audiences):
        self._key = key
        self.issuer, self.tenant_id = issuer, tenant_id
        self.audiences = [a.rstrip("/") for a in audiences]
        # faults: each token carries a serial number; a revocation refuses the serials issued so far (of one
        # principal, by object id, or of all: "*") as expired at that time. A lifetime set at run time replaces
        # the configured ones for new tokens.
        self.serial = 0
        self.revoked = {}  # object id or "*" -> (last serial revoked, when)
        self.lifetime_override = None

    def revoke_issued(self, object_id="*"):
        """Every token issued so far (to the principal `object_id`, or to all) expires now: ARM answers a request
        with one 401 ExpiredAuthenticationToken. Returns the revocation time."""
        revoked_at = time.time()
        self.revoked[object_id] = (self.serial, revoked_at)
        return revoked_at

    def _revocation(self, claims):
        """When the token was revoked, or None."""
        serial = claims.get("xms_sandbox_serial", 0)
        for key in ("*", claims.get("oid")):
            limit, revoked_at = self.revoked.get(key, (0, None))
            if serial <= limit:
                return revoked_at
        return None

    def lifetime(self, configured):
        return self.lifetime_override or configured

    def audience_of_scope(self, scope):
        """The resource a client-credentials `scope` (`<resource>/.default`) names, if ARM is it."""
        for item in (scope or "").split():
            resource = item[:-len("/.default")] if item.endswith("/.default") else item
            if resource.rstrip("/") in self.audiences:
                return resource
        return None

    def issue(self, principal, audience, lifetime):
        now = int(time.time())
        self.serial += 1
        claims = {"aud": audience, "iss": self.issuer, "tid": self.tenant_id, "appid": principal.client_id,
                  "oid": principal.object_id, "sub": principal.object_id, "iat": now, "nbf": now,
                  "exp": now + lifetime, "xms_sandbox_serial": self.serial}
        return jwt.encode(claims, self._key, algorithm="HS256")

    def verify(self, token):
        """The token's claims, or InvalidToken."""
        try:
            claims = jwt.decode(token, self._key, algorithms=["HS256"], options={"verify_aud": False},
                                issuer=self.issuer)
        except jwt.ExpiredSignatureError:
            expired = jwt.decode(token, self._key, algorithms=["HS256"],
                                 options={"verify_aud": False, "verify_exp": False})
            raise ExpiredToken(expired["exp"], time.time()) from None
        except jwt.InvalidTokenError:
            raise InvalidToken("The access token is invalid.") from None
        revoked_at = self._revocation(claims)
        if revoked_at is not None:
            raise ExpiredToken(revoked_at, time.time())
        if str(claims.get("aud", "")).rstrip("/") not in self.audiences:
            raise InvalidToken(f"The access token has an invalid audience '{claims.get('aud')}'.")
        return claims
