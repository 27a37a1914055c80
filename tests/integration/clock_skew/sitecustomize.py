"""Test harness only (never shipped): a machine whose wall clock is off by ARC_TEST_CLOCK_SKEW seconds. Python loads
this module at start-up when its directory is on PYTHONPATH, so ansible-playbook and every module process it starts
see time.time(), time.time_ns() and datetime.datetime.now() / utcnow() / today() shifted; the monotonic clock is
left alone, as a real machine's would be."""
import datetime as _datetime
import os as _os
import time as _time

_SKEW = float(_os.environ.get("ARC_TEST_CLOCK_SKEW") or 0)

if _SKEW:
    _real_time, _real_time_ns, _RealDatetime = _time.time, _time.time_ns, _datetime.datetime
    _SHIFT = _datetime.timedelta(seconds=_SKEW)

    def _skewed_time():
        return _real_time() + _SKEW

    def _skewed_time_ns():
        return _real_time_ns() + int(_SKEW * 1e9)

    class _SkewedDatetime(_RealDatetime):
        """datetime.datetime whose clock readings are shifted."""

        @classmethod
        def now(cls, tz=None):
            return _RealDatetime.now(tz) + _SHIFT

        @classmethod
        def utcnow(cls):
            return _RealDatetime.now(_datetime.timezone.utc).replace(tzinfo=None) + _SHIFT

        @classmethod
        def today(cls):
            return cls.now()

    _time.time, _time.time_ns = _skewed_time, _skewed_time_ns
    _datetime.datetime = _SkewedDatetime
