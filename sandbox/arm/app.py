"""The sandbox's Azure as one aiohttp application: cloud metadata, the tenant's Entra endpoints and ARM,
with its links to the sites (informers started once the event loop runs)."""
from aiohttp import web

from ..layout import site_files
from . import identity, metadata, ops, principals, routing
from .audit import AzureAudit, audit_middleware
from .behaviour import ArmBehaviour
from .config import AzureConfig
from .faults import ArmFaults
from .provider import Provider
from .sitelink import SiteLink
from .store import ArmStore
from .tokens import TokenService, ensure_signing_key


def build(files):
    config = AzureConfig.load(files.config)
    provider = Provider(config, ArmStore(files.resources), ArmBehaviour.from_dict(config.behaviour))
    provider.faults = ArmFaults()
    for name in config.sites:
        site_dir = site_files(files.runtime_dir, name)
        provider.links[name] = SiteLink(name, site_dir, site_dir.load_config(), provider.on_change,
                                        config.site_write_timeout_seconds)
    app = web.Application(middlewares=[audit_middleware])
    app["config"] = config
    app["provider"] = provider
    app["directory"] = principals.Directory(principals.load(files.principals))
    app["tokens"] = TokenService(ensure_signing_key(files.signing_key), identity.issuer(config), config.tenant_id,
                                 metadata.audiences(config))
    app["audit"] = provider.audit = AzureAudit(files.audit_log)
    app.router.add_get("/metadata/endpoints", metadata.endpoints)
    identity.add_routes(app)
    routing.add_routes(app)
    ops.add_routes(app, ops.ensure_ops_token(files.ops_token))
    app.on_startup.append(_start_links)
    app.on_cleanup.append(_stop)
    return app


async def _start_links(app):
    for link in app["provider"].links.values():
        link.start()


async def _stop(app):
    await app["provider"].drain()
    for link in app["provider"].links.values():
        link.stop()
    app["audit"].close()
