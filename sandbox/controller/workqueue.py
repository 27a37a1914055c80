"""Reconcile each changed object once at a time: a burst of changes to one name coalesces into one
more pass after the running one, and different names proceed concurrently."""
import asyncio
import logging

LOG = logging.getLogger(__name__)


class WorkQueue:
    def __init__(self, reconcile, what):
        self._reconcile = reconcile
        self._what = what
        self._dirty = set()
        self._running = {}
        self._closed = False

    def close(self):
        """The controller stops: cancel what runs, and take no more work (late timers find it closed)."""
        self._closed = True
        for task in list(self._running.values()):
            task.cancel()

    def add(self, name):
        if self._closed:
            return
        if name in self._running:
            self._dirty.add(name)
        else:
            self._running[name] = asyncio.get_running_loop().create_task(self._work(name))

    async def _work(self, name):
        try:
            while True:
                self._dirty.discard(name)
                try:
                    await self._reconcile(name)
                except asyncio.CancelledError:
                    raise
                except Exception:  # pylint: disable=broad-except
                    LOG.exception("reconcile of %s %s failed; retrying", self._what, name)
                    await asyncio.sleep(1)
                    self._dirty.add(name)
                if name not in self._dirty:
                    return
        finally:
            self._running.pop(name, None)
