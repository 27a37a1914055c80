"""Watch streams: change events, in resourceVersion order, from a given resourceVersion.

A stream subscribes to the store before it replays retained events, and the event loop runs one
request step at a time, so no change can fall between the replay and the live feed.
"""
import asyncio
import json

from aiohttp import web

from . import errors
from .objects import served

DEFAULT_TIMEOUT_SECONDS = 1800
BOOKMARK_INTERVAL_SECONDS = 5.0


class WatchRequest:
    def __init__(self, rtype, version, namespace, label_match, field_match, query):
        self.rtype = rtype
        self.version = version
        self.namespace = namespace
        self.label_match = label_match
        self.field_match = field_match
        self.resource_version = query.get("resourceVersion", "")
        self.timeout = float(query.get("timeoutSeconds") or DEFAULT_TIMEOUT_SECONDS)
        self.bookmarks = query.get("allowWatchBookmarks") in ("true", "1")
        self.send_initial_events = query.get("sendInitialEvents") in ("true", "1")
        self.expire = False  # a fault rule says this resourceVersion was compacted away

    def selects(self, obj):
        if obj is None or (self.namespace and obj["metadata"].get("namespace") != self.namespace):
            return False
        return self.label_match(obj["metadata"].get("labels")) and self.field_match(obj)

    def translate(self, event):
        """The event as this watcher sees it: an object leaving the selection is DELETED for it."""
        if event.key != self.rtype.key:
            return None
        now, before = self.selects(event.obj), self.selects(event.old)
        if event.type == "DELETED":
            return ("DELETED", event.obj) if before or now else None
        if now and not before:
            return ("ADDED", event.obj)
        if before and not now:
            return ("DELETED", event.obj)
        return (event.type, event.obj) if now else None


def _line(event_type, obj):
    return (json.dumps({"type": event_type, "object": obj}) + "\n").encode()


async def stream(request, store, watch):
    """Serve one watch; returns the response after the stream ends."""
    queue = asyncio.Queue()

    def listener(event):
        translated = watch.translate(event)
        if translated:
            queue.put_nowait(translated)

    backlog = _backlog(store, watch)
    store.subscribe(listener)
    response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    try:
        await response.prepare(request)
        if isinstance(backlog, errors.ApiError):
            await response.write(_line("ERROR", backlog.to_status()))
            return response
        for event_type, obj in backlog:
            await response.write(_line(event_type, _present(watch, obj)))
        if watch.send_initial_events and watch.bookmarks:
            await response.write(_line("BOOKMARK", _bookmark(watch, store, initial_events_end=True)))
        await _follow(response, queue, store, watch)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        store.unsubscribe(listener)
    return response


def _backlog(store, watch):
    """Events the client must see before live ones: the current state, or what it missed."""
    if watch.resource_version in ("", "0") or watch.send_initial_events:
        return [("ADDED", obj) for obj in store.list(watch.rtype.key, watch.namespace or None) if watch.selects(obj)]
    try:
        since = int(watch.resource_version)
    except ValueError:
        return errors.bad_request(f'invalid resource version "{watch.resource_version}"')
    missed = None if watch.expire else store.events_since(since)
    if missed is None:  # (expired by a fault: as if etcd had compacted up to now)
        return errors.expired(since, store.resource_version if watch.expire else store.oldest_watchable)
    return [t for t in (watch.translate(e) for e in missed) if t]


async def _follow(response, queue, store, watch):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + watch.timeout
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            return
        wait = min(remaining, BOOKMARK_INTERVAL_SECONDS) if watch.bookmarks else remaining
        try:
            event_type, obj = await asyncio.wait_for(queue.get(), timeout=wait)
        except asyncio.TimeoutError:
            if watch.bookmarks and queue.empty():
                await response.write(_line("BOOKMARK", _bookmark(watch, store)))
            continue
        await response.write(_line(event_type, _present(watch, obj)))


def _present(watch, obj):
    return served(watch.rtype, watch.version, obj)


def _bookmark(watch, store, initial_events_end=False):
    metadata = {"resourceVersion": str(store.resource_version)}
    if initial_events_end:
        metadata["annotations"] = {"k8s.io/initial-events-end": "true"}
    return {"kind": watch.rtype.kind, "apiVersion": watch.rtype.api_version(watch.version), "metadata": metadata}
