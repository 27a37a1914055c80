"""An instance's transaction log: LSN-ordered records, on disk before a commit is acknowledged.

One JSON line per record: `lsn` (1, 2, 3, ... without gaps), `epoch` (which primary term wrote
it; a promotion starts a new epoch, so two logs that diverged after a forced failover disagree
on the epoch of the same LSN), `key`, `value`, `ts`. A torn last line (the process killed
mid-write) is dropped at load, as a database drops an incomplete log block.
"""
import json
import os


class TransactionLog:
    def __init__(self, path):
        self.path = path
        self.records = self._load()
        self._file = open(self.path, "ab")

    def _load(self):
        records = []
        if not self.path.exists():
            return records
        valid_bytes = 0
        with open(self.path, "rb") as handle:
            for line in handle:
                try:
                    record = json.loads(line)
                except ValueError:
                    break
                if not line.endswith(b"\n") or record.get("lsn") != len(records) + 1:
                    break
                records.append(record)
                valid_bytes += len(line)
        if valid_bytes != self.path.stat().st_size:
            with open(self.path, "r+b") as handle:
                handle.truncate(valid_bytes)
        return records

    @property
    def tip(self):
        return len(self.records)

    def epoch_of(self, lsn):
        return self.records[lsn - 1]["epoch"] if 0 < lsn <= len(self.records) else 0

    def after(self, lsn, limit=None):
        end = None if limit is None else lsn + limit
        return self.records[lsn:end]

    def append(self, records):
        """Write and fsync a batch (a group commit); blocking, so callers run it in a worker thread."""
        expected = self.tip + 1
        for offset, record in enumerate(records):
            if record["lsn"] != expected + offset:
                raise ValueError(f"log gap: got LSN {record['lsn']}, expected {expected + offset}")
        self._file.write(b"".join(json.dumps(r, separators=(",", ":")).encode() + b"\n" for r in records))
        self._file.flush()
        os.fsync(self._file.fileno())
        self.records.extend(records)

    def truncate(self, lsn):
        """Drop every record after `lsn` (atomically); returns the dropped records."""
        dropped = self.records[lsn:]
        if not dropped:
            return []
        kept = self.records[:lsn]
        temporary = self.path.with_suffix(".tmp")
        with open(temporary, "wb") as handle:
            handle.write(b"".join(json.dumps(r, separators=(",", ":")).encode() + b"\n" for r in kept))
            handle.flush()
            os.fsync(handle.fileno())
        self._file.close()
        os.replace(temporary, self.path)
        self._file = open(self.path, "ab")
        self.records = kept
        return dropped

    def close(self):
        self._file.close()
