"""Run one site's Arc controller emulator: `python -m sandbox.controller --site-dir DIR`."""
import argparse
import asyncio
import logging
import os
import signal

from ..layout import SiteFiles
from .app import Controller
from .restarts import Restarts


async def serve(files):
    controller = Controller(files, files.load_config())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await controller.run()
    # `python -m sandbox controller`: stop (SIGUSR1) and start (SIGUSR2) the controller, the engines running on
    Restarts(controller, files).install(loop, signal.SIGUSR1, signal.SIGUSR2)
    files.ready_file("controller").write_text(str(os.getpid()))
    await stop.wait()
    await controller.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--site-dir", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("kubernetes").setLevel(logging.WARNING)
    asyncio.run(serve(SiteFiles(args.site_dir)))


if __name__ == "__main__":
    main()
