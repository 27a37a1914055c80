"""The instance's client endpoint (`status.endpoints.primary`): a small line protocol for the tests
and the demo, standing in for TDS. One JSON object per line each way:

    {"op": "write", "key": "k", "value": "v"}  ->  {"ok": true, "lsn": 42}   (only once committed)
    {"op": "read", "key": "k"}                 ->  {"ok": true, "found": true, "lsn": 42, "value": "v"}
    {"op": "stats"}                            ->  {"ok": true, "stats": {...}}
    {"op": "dump", "after": 0, "limit": 1000}  ->  {"ok": true, "records": [{"lsn": 1, "epoch": 1, "key": ...}]}

A secondary answers a write with {"ok": false, "error": "..."}; it is never a path the modules use.

`write` and `read` are what a client does over TDS: an instance that admits no clients (the DR licence,
see licence.py) refuses them with the reason. `stats` and `dump` stand for what an operator reads inside
the pod (the DMVs over `localhost,1533`, the troubleshooting guide's way): they always answer. The same
protocol serves the readable-secondary endpoint (`status.endpoints.secondary`), which takes no writes.
"""
import asyncio
import json

from .database import WriteRefused

MAX_DUMP = 10000
MAX_REQUEST_BYTES = 8 * 1024 * 1024
CLIENT_OPS = ("write", "read")


class ClientEndpoint:
    def __init__(self, database, stats, refusal=lambda: None, read_only=False):
        self.database = database
        self._stats = stats  # callable: the instance's statistics (database plus link)
        self._refusal = refusal  # callable: why clients are refused now (None: they are not)
        self.read_only = read_only
        self._server = None

    async def start(self, host, port):
        self._server = await asyncio.start_server(self._serve, host, port, limit=MAX_REQUEST_BYTES)
        return self._server.sockets[0].getsockname()[1]

    async def stop(self):
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader, writer):
        try:
            while line := await reader.readline():
                writer.write((json.dumps(await self._answer(line)) + "\n").encode())
                await writer.drain()
        except ValueError:  # a request line over the limit: say so, then close
            writer.write((json.dumps({"ok": False, "error": f"request longer than {MAX_REQUEST_BYTES} bytes"})
                          + "\n").encode())
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _answer(self, line):
        try:
            request = json.loads(line)
            op = request["op"]
        except (ValueError, KeyError, TypeError):
            return {"ok": False, "error": "malformed request: expected one JSON object with an 'op' per line"}
        refused = self._refusal() if op in CLIENT_OPS else None
        if refused:
            return {"ok": False, "error": refused}
        try:
            if op == "write" and self.read_only:
                raise WriteRefused(f"instance {self.database.name}: the readable-secondary endpoint "
                                   "(status.endpoints.secondary) takes no writes; writes go to "
                                   "status.endpoints.primary")
            if op == "write":
                return {"ok": True, "lsn": await self.database.commit(str(request["key"]), request.get("value"))}
            if op == "read":
                found = self.database.read(str(request["key"]))
                if found is None:
                    return {"ok": True, "found": False}
                return {"ok": True, "found": True, "lsn": found[0], "value": found[1]}
            if op == "stats":
                return {"ok": True, "stats": self._stats()}
            if op == "dump":
                after, limit = int(request.get("after", 0)), min(int(request.get("limit", MAX_DUMP)), MAX_DUMP)
                return {"ok": True, "records": self.database.log.after(after, limit)}
        except WriteRefused as exc:
            return {"ok": False, "error": str(exc)}
        except (KeyError, ValueError, TypeError) as exc:
            return {"ok": False, "error": f"bad {op} request: {exc}"}
        return {"ok": False, "error": f"unknown op {op!r}; known: write, read, stats, dump"}
