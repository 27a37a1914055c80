"""Run one site's API server: `python -m sandbox.apiserver --site-dir DIR`."""
import argparse
import asyncio
import logging
import signal
import ssl

from aiohttp import web

from ..layout import CREDENTIALS, SiteFiles
from .app import ApiServer
from .audit import AuditLog
from .authentication import TokenAuthenticator, site_users
from .authorization import Authorizer
from .bootstrap import bootstrap
from .builtins import builtin_types
from .faults import Faults
from .objects import Objects
from .resources import CRD_KEY, Registry
from .signed_tokens import SignedTokens, ensure_signing_key
from .store import Store


def build(files, site):
    store = Store(str(files.database))
    registry = Registry(builtin_types())
    registry.reload_custom(store.list(CRD_KEY))
    objects = Objects(store, registry)
    bootstrap(objects, site)
    # A restarted server, like a real one, cannot replay history from before it started.
    store.oldest_watchable = store.resource_version
    tokens = {credential: files.token_of(credential).read_text().strip() for credential in CREDENTIALS}
    signed_tokens = SignedTokens(ensure_signing_key(files.token_signing_key), site.api_url)
    return ApiServer(objects, TokenAuthenticator(site_users(site.namespace, tokens), signed_tokens),
                     Authorizer.from_files(site.namespace), files.ops_token.read_text().strip(),
                     AuditLog(files.audit_log), Faults(), f"{site.address}:{site.api_port}")


def tls_context(files):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(files.server_cert), str(files.server_key))
    return context


async def serve(files, site):
    server = build(files, site)
    runner = web.AppRunner(server.application(), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, site.address, site.api_port, ssl_context=tls_context(files),
                      reuse_address=True).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    logging.info("site %s API serving on %s", site.name, site.api_url)
    await stop.wait()
    await runner.cleanup()
    server.store.close()
    server.audit.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--site-dir", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    files = SiteFiles(args.site_dir)
    asyncio.run(serve(files, files.load_config()))


if __name__ == "__main__":
    main()
