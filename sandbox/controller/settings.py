"""Timings of the emulated controller: what takes time on a real site, settable per sandbox so
the demo looks like real life and the tests run fast."""
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Timings:
    # a new or changed instance reaches Ready after this long
    ready_delay_seconds: float = 1.0
    # a partner silent this long is DISCONNECTED (SQL Server's default session timeout)
    session_timeout_seconds: float = 10.0
    heartbeat_seconds: float = 1.0
    # a DAG that cannot reach its partner this long after a change reports Failed
    connect_timeout_seconds: float = 5.0
    # a planned failover whose partner has not hardened everything by then is abandoned
    failover_timeout_seconds: float = 30.0
    # log records per second while seeding / catching up a secondary; 0 means as fast as possible
    seeding_rate: float = 0.0

    @classmethod
    def from_dict(cls, values):
        known = {f.name for f in fields(cls)}
        unknown = set(values or {}) - known
        if unknown:
            raise ValueError(f"unknown controller timings {sorted(unknown)}; known: {sorted(known)}")
        return cls(**{k: float(v) for k, v in (values or {}).items()})
