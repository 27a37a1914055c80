"""The object store: every object in memory, every change on disk before it is acknowledged.

One SQLite database per site holds the objects and the last resourceVersion. Writes happen in a
transaction that commits before the caller answers the client, so a site killed at any moment
restarts with every acknowledged object and resourceVersion (WAL mode: a committed transaction
survives the death of the process). The resourceVersion is one counter for all objects, as etcd's
revision is, so watches and lists can be ordered across kinds.

Recent changes are kept in a bounded window for watches that resume from a resourceVersion; a
watch from before the window gets 410 Expired, as from a compacted etcd.
"""
import collections
import copy
import json
import sqlite3

Event = collections.namedtuple("Event", "rv type key obj old")


class Store:
    def __init__(self, path, window=2048):
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS objects (key TEXT, namespace TEXT, name TEXT, body TEXT, "
                         "PRIMARY KEY (key, namespace, name))")
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
        self._objects = {}
        for key, namespace, name, body in self._db.execute("SELECT key, namespace, name, body FROM objects"):
            self._objects[(key, namespace, name)] = json.loads(body)
        row = self._db.execute("SELECT value FROM meta WHERE name = 'resourceVersion'").fetchone()
        self.resource_version = int(row[0]) if row else 0
        self._events = collections.deque(maxlen=window)
        # the oldest resourceVersion a watch may resume from: nothing before it is retained
        self.oldest_watchable = self.resource_version
        self._listeners = []

    # -- reads ------------------------------------------------------------------------------------
    def get(self, key, namespace, name):
        obj = self._objects.get((key, namespace or "", name))
        return copy.deepcopy(obj) if obj is not None else None

    def list(self, key, namespace=None):
        """Objects of one kind, in namespace/name order (etcd's key order); all namespaces if None."""
        found = [obj for (k, ns, unused), obj in self._objects.items()
                 if k == key and (namespace is None or ns == namespace)]
        found.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        return [copy.deepcopy(o) for o in found]

    def exists_uid(self, uid):
        return any(o["metadata"].get("uid") == uid for o in self._objects.values())

    def all_objects(self):
        return [copy.deepcopy(o) for o in self._objects.values()]

    def events_since(self, resource_version):
        """Changes after `resource_version`, or None when that version is older than the window."""
        if resource_version < self.oldest_watchable:
            return None
        return [e for e in self._events if e.rv > resource_version]

    # -- writes -----------------------------------------------------------------------------------
    def put(self, key, obj):
        """Store a created or changed object; assigns and returns its new resourceVersion."""
        return self.commit([("put", key, obj)])[0]

    def delete(self, key, obj):
        return self.commit([("delete", key, obj)])[0]

    def commit(self, changes):
        """Apply ("put"|"delete", key, obj) changes in one transaction; returns the stored objects."""
        stored, events = [], []
        first_version = self.resource_version
        self._db.execute("BEGIN")
        try:
            for op, key, obj in changes:
                ident = (key, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
                old = self._objects.get(ident)
                self.resource_version += 1
                obj = copy.deepcopy(obj)
                obj["metadata"]["resourceVersion"] = str(self.resource_version)
                if op == "put":
                    self._db.execute("INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?)", (*ident, json.dumps(obj)))
                    event_type = "MODIFIED" if old is not None else "ADDED"
                else:
                    self._db.execute("DELETE FROM objects WHERE key = ? AND namespace = ? AND name = ?", ident)
                    event_type = "DELETED"
                stored.append((ident, op, obj))
                events.append(Event(self.resource_version, event_type, key, obj, copy.deepcopy(old)))
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('resourceVersion', ?)", (str(self.resource_version),))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            self.resource_version = first_version
            raise
        for ident, op, obj in stored:
            if op == "put":
                self._objects[ident] = obj
            else:
                self._objects.pop(ident, None)
        for event in events:
            self._remember(event)
        return [copy.deepcopy(change[2]) for change in stored]

    def _remember(self, event):
        if len(self._events) == self._events.maxlen:
            self.oldest_watchable = self._events[0].rv
        self._events.append(event)
        for listener in list(self._listeners):
            listener(event)

    # -- change notification ----------------------------------------------------------------------
    def subscribe(self, listener):
        self._listeners.append(listener)

    def unsubscribe(self, listener):
        if listener in self._listeners:
            self._listeners.remove(listener)

    def close(self):
        self._db.close()
