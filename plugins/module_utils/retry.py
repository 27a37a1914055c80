# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""When an API call may be tried again, and after how long.

Retried: 429 (after its Retry-After), 500, 502, 503 (after its Retry-After), 504, and connection
failures and timeouts, with jittered exponential backoff and a bounded number of attempts. Never
retried: 400, 401, 403, 404, 422 and every other answer that says the request itself is wrong;
409 Conflict is not retried here either: the caller re-reads and recomputes (see service.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random

RETRIABLE_STATUS = frozenset([429, 500, 502, 503, 504])
# 10 attempts with the backoff below: at most about 25 s of waiting before a site is declared
# unreachable, and a request through an API failing 30 % of the time gets through 99.999 % of the time
MAX_ATTEMPTS = 10
# A refused or timed-out connection says more than a 503: nothing listens, the site's API is down. Five attempts
# (about 2 s of backoff) ride out a restarting API server's blip without making an operator wait 25 s for the
# verdict on a dead site during a forced failover.
MAX_UNREACHABLE_ATTEMPTS = 5
BASE_DELAY = 0.2
MAX_DELAY = 5.0
MAX_RETRY_AFTER = 30.0


class RetryPolicy(object):
    def __init__(self, max_attempts=MAX_ATTEMPTS, base_delay=BASE_DELAY, max_delay=MAX_DELAY, rng=None,
                 max_unreachable_attempts=MAX_UNREACHABLE_ATTEMPTS):
        self.max_attempts = max_attempts
        self.max_unreachable_attempts = min(max_unreachable_attempts, max_attempts)
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._rng = rng or random.Random()

    @staticmethod
    def retriable(status):
        """`status` is an HTTP status code, or None for a connection failure or timeout."""
        return status is None or status in RETRIABLE_STATUS

    def delay(self, attempt, retry_after=None):
        """Seconds to wait before attempt number `attempt + 1` (attempts count from 1)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), MAX_RETRY_AFTER)
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return self._rng.uniform(ceiling / 2, ceiling)  # "equal jitter": never 0, never in lockstep

    def should_retry(self, status, attempt):
        limit = self.max_unreachable_attempts if status is None else self.max_attempts
        return self.retriable(status) and attempt < limit


def parse_retry_after(headers):
    """Seconds from a Retry-After header (delta-seconds form), or None."""
    if not headers:
        return None
    value = None
    for key in headers:
        if str(key).lower() == "retry-after":
            value = headers[key]
            break
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
