"""Restarts of the controller proper inside its process, as `python -m sandbox controller` asks for them: SIGUSR1
stops it at once (the request file says whether to start again, and after how long), SIGUSR2 starts it. The state
file says whether it runs (the CLI waits on it), and the site's audit log records each stop and start."""
import asyncio
import json
import os

from ..fault_notes import site_note
from . import jsonfile

REQUEST_FILE = "controller-restart.json"
STATE_FILE = "controller.state"


def request_path(files):
    return files.dir / REQUEST_FILE


def state_path(files):
    return files.dir / STATE_FILE


class Restarts:
    def __init__(self, controller, files):
        self.controller, self.files = controller, files
        self.count = 0
        self._starting = None

    def install(self, loop, stop_signal, start_signal):
        loop.add_signal_handler(stop_signal, self.stop)
        loop.add_signal_handler(start_signal, self.start)
        self._write_state()

    def stop(self):
        """Kill the controller proper now; start it again after the requested delay (if any)."""
        request = jsonfile.load(request_path(self.files), {})
        if self._starting is not None:
            self._starting.cancel()
            self._starting = None
        self.controller.halt()
        self._write_state()
        down = request.get("down_seconds")
        site_note(self.files, {"controller": "stopped", "down_seconds": down})
        if down is not None:
            asyncio.get_running_loop().call_later(float(down), self.start)

    def start(self):
        if self.controller.running or self._starting is not None:
            return
        self._starting = asyncio.get_running_loop().create_task(self._start())

    async def _start(self):
        try:
            await self.controller.start()
        except asyncio.CancelledError:
            self.controller.halt()
            raise
        finally:
            self._starting = None
        self.count += 1
        self._write_state()
        site_note(self.files, {"controller": "started", "restarts": self.count})

    def _write_state(self):
        jsonfile.save(state_path(self.files), {"pid": os.getpid(), "running": self.controller.running,
                                               "restarts": self.count})


def read_state(files):
    try:
        return json.loads(state_path(files).read_text())
    except (FileNotFoundError, ValueError):
        return {}
