"""When each DAG's link last (re)connected, as the status refreshes see it: a 2025 controller was seen
reporting state Failed and role Unknown while both replicas were CONNECTED, which this emulates as a window
after each (re)connection (Behaviour.dag_transient_failed_seconds)."""
import asyncio
import time

# the refresh at the end of the window runs just after it, never just before
END_MARGIN_SECONDS = 0.05


class Reconnects:
    def __init__(self, seconds, requeue):
        self.seconds = seconds
        self._requeue = requeue  # requeue(name): refresh the DAG's status again
        self._connected = {}  # DAG name -> whether the link was up at the last refresh
        self._since = {}  # DAG name -> monotonic time the link last came up

    def settling(self, name, connected):
        """Whether the link of DAG `name`, up or not now, came up less than `seconds` ago. A new connection
        starts the window and asks for a refresh at its end, when the real state returns."""
        if self.seconds <= 0:
            return False
        was = self._connected.get(name, False)
        self._connected[name] = connected
        if connected and not was:
            self._since[name] = time.monotonic()
            asyncio.get_running_loop().call_later(self.seconds + END_MARGIN_SECONDS, self._requeue, name)
        return connected and time.monotonic() - self._since[name] < self.seconds

    def forget(self, name):
        self._connected.pop(name, None)
        self._since.pop(name, None)
