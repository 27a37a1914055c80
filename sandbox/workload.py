"""A steady stream of writes against one instance, remembering every LSN it was acknowledged, so a
test can check that each one survives a failover (`python -m sandbox workload`)."""
import threading
import time

from .sqlclient import SqlClient, SqlError


class Workload:
    def __init__(self, endpoint, rate=100.0, prefix="w"):
        self.endpoint, self.rate, self.prefix = endpoint, rate, prefix
        self.acknowledged = []  # (lsn, key) of every write the instance confirmed
        self.refused = []  # the instance's answers to writes it did not take
        self.errors = []  # connection failures
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="workload", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join()
        return self

    def run_for(self, seconds):
        self.start()
        self._stop.wait(seconds)
        return self.stop()

    def _run(self):
        interval = 1.0 / self.rate if self.rate else 0.0
        number, client = 0, None
        next_at = time.monotonic()
        while not self._stop.is_set():
            key = f"{self.prefix}-{number}"
            try:
                client = client or SqlClient(self.endpoint, timeout=10)
                self.acknowledged.append((client.write(key, number), key))
            except SqlError as exc:
                self.refused.append(str(exc))
            except (OSError, ValueError) as exc:
                self.errors.append(str(exc))
                client = None
            number += 1
            next_at += interval
            self._stop.wait(max(0.0, next_at - time.monotonic()))
        if client is not None:
            client.close()

    def report(self):
        return {"endpoint": self.endpoint, "acknowledged": len(self.acknowledged),
                "last_lsn": self.acknowledged[-1][0] if self.acknowledged else None,
                "refused": len(self.refused), "errors": len(self.errors),
                "writes": [[lsn, key] for lsn, key in self.acknowledged]}
