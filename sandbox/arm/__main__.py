"""Run the sandbox's Azure (Entra token endpoint, cloud metadata, ARM): `python -m sandbox.arm --site-dir DIR`,
DIR being the runtime directory's azure/ (the flag is the sites' components' one, so the supervisor starts
this process like theirs)."""
import argparse
import asyncio
import logging
import os
import signal
import ssl

from aiohttp import web

from .app import build
from .files import AzureFiles


def tls_context(files):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(files.server_cert), str(files.server_key))
    return context


async def serve(files):
    app = build(files)
    config = app["config"]
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, config.address, config.port, ssl_context=tls_context(files), reuse_address=True).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    logging.info("Azure (ARM, Entra, metadata) serving on %s", config.base_url)
    files.ready_file().write_text(str(os.getpid()))
    await stop.wait()
    await runner.cleanup()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--site-dir", required=True, help="the runtime directory's azure/")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("kubernetes").setLevel(logging.WARNING)
    asyncio.run(serve(AzureFiles(args.site_dir)))


if __name__ == "__main__":
    main()
