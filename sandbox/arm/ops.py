"""The sandbox Azure's operations endpoint (tests, benchmarks and the CLI only; not an ARM path), behind a bearer
token of its own (azure/ops-token): the fault rules (faults.py), and the issued access tokens (revoke them all, or
give new ones a lifetime). Each change is noted in the Azure audit log."""
import hmac
import secrets

from aiohttp import web

from ..layout import write_private

OPS_PREFIX = "/_sandbox/"


def ensure_ops_token(path):
    if not path.exists():
        write_private(path, secrets.token_urlsafe(32) + "\n")
    return path.read_text().strip()


def _authorized(request):
    scheme, given = request.headers.get("Authorization", "").partition(" ")[::2]
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                              request.app["ops_token"].encode())


def _guarded(handler):
    async def guarded(request):
        if not _authorized(request):
            return web.json_response({"error": "the operations endpoint needs its bearer token"}, status=401)
        try:
            return await handler(request)
        except (ValueError, TypeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
    return guarded


async def _faults(request):
    faults = request.app["provider"].faults
    if request.method == "PUT":
        faults.configure(await request.json())
        request.app["audit"].note({"rules": faults.describe()})
    elif request.method == "DELETE":
        faults.configure([])
        request.app["audit"].note({"rules": []})
    return web.json_response({"rules": faults.describe()})


async def _revoke_tokens(request):
    name = (await request.json()).get("principal") if request.can_read_body else None
    object_id = "*"
    if name:
        found = [p for p in request.app["directory"].by_object_id.values() if p.name == name]
        if not found:
            raise ValueError(f"no principal named {name!r}")
        object_id = found[0].object_id
    revoked_at = request.app["tokens"].revoke_issued(object_id)
    request.app["audit"].note({"tokens": "revoked", "principal": name or "*"})
    return web.json_response({"revoked_at": revoked_at})


async def _token_lifetime(request):
    wanted = (await request.json()).get("lifetime_seconds")
    if wanted is not None and int(wanted) < 1:
        raise ValueError(f"lifetime_seconds must be at least 1 (or null), got {wanted!r}")
    request.app["tokens"].lifetime_override = int(wanted) if wanted is not None else None
    request.app["audit"].note({"tokens": "lifetime", "lifetime_seconds": wanted})
    return web.json_response({"lifetime_seconds": wanted})


def add_routes(app, ops_token):
    app["ops_token"] = ops_token
    app.router.add_route("*", OPS_PREFIX + "faults", _guarded(_faults))
    app.router.add_post(OPS_PREFIX + "tokens/revoke", _guarded(_revoke_tokens))
    app.router.add_put(OPS_PREFIX + "tokens/lifetime", _guarded(_token_lifetime))
