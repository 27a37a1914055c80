# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random

import pytest

from ansible_collections.arcdata.sqlmi.plugins.module_utils import retry
from ansible_collections.arcdata.sqlmi.plugins.module_utils.retry import RetryPolicy, parse_retry_after


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504, None])
def test_transient_failures_are_retried(status):
    assert RetryPolicy.retriable(status)
    assert RetryPolicy(rng=random.Random(1)).should_retry(status, 1)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 410, 422, 501])
def test_answers_that_say_the_request_is_wrong_are_not_retried(status):
    assert not RetryPolicy.retriable(status)
    assert not RetryPolicy(rng=random.Random(1)).should_retry(status, 1)


def test_attempts_are_bounded():
    policy = RetryPolicy(max_attempts=4, rng=random.Random(1))
    assert [policy.should_retry(503, attempt) for attempt in range(1, 7)] == [True, True, True, False, False, False]
    assert not RetryPolicy(rng=random.Random(1)).should_retry(None, retry.MAX_ATTEMPTS)


def test_retry_after_is_honoured():
    policy = RetryPolicy(rng=random.Random(1))
    assert policy.delay(1, retry_after=3) == 3.0
    assert policy.delay(5, retry_after=0.5) == 0.5
    assert policy.delay(2, retry_after=0) == 0.0


def test_retry_after_is_capped():
    policy = RetryPolicy(rng=random.Random(1))
    assert policy.delay(1, retry_after=3600) == retry.MAX_RETRY_AFTER == 30.0
    assert policy.delay(1, retry_after=-5) == 0.0


def test_backoff_is_jittered_exponential_within_bounds():
    policy = RetryPolicy(base_delay=0.2, max_delay=5.0, rng=random.Random(42))
    for attempt in range(1, 12):
        ceiling = min(5.0, 0.2 * 2 ** (attempt - 1))
        delays = [policy.delay(attempt) for dummy in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays), attempt
        assert len(set(delays)) > 1  # jitter: no lockstep
    assert policy.delay(30) <= 5.0


def test_backoff_is_reproducible_with_a_seeded_random():
    first = RetryPolicy(rng=random.Random(7))
    second = RetryPolicy(rng=random.Random(7))
    assert [first.delay(a) for a in range(1, 6)] == [second.delay(a) for a in range(1, 6)]


def test_total_backoff_of_one_call_is_bounded():
    policy = RetryPolicy(rng=random.Random(3))
    total = sum(policy.delay(attempt) for attempt in range(1, policy.max_attempts))
    assert total <= sum(min(retry.MAX_DELAY, retry.BASE_DELAY * 2 ** (a - 1)) for a in range(1, retry.MAX_ATTEMPTS))


@pytest.mark.parametrize("headers, expected", [
    ({"Retry-After": "2"}, 2.0),
    ({"retry-after": "0.5"}, 0.5),
    ({"RETRY-AFTER": 7}, 7.0),
    ({"Content-Type": "application/json", "Retry-After": "10"}, 10.0),
    ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, None),
    ({"Retry-After": ""}, None),
    ({"Content-Type": "application/json"}, None),
    ({}, None),
    (None, None),
])
def test_parse_retry_after(headers, expected):
    assert parse_retry_after(headers) == expected


def test_parse_retry_after_with_urllib3_headers():
    from urllib3 import HTTPHeaderDict
    assert parse_retry_after(HTTPHeaderDict({"Retry-After": "4"})) == 4.0


def test_an_unreachable_site_gets_fewer_attempts_than_a_failing_one():
    policy = RetryPolicy(rng=random.Random(1))
    assert [policy.should_retry(None, attempt) for attempt in range(1, 7)] == [True] * 4 + [False] * 2
    assert policy.should_retry(503, retry.MAX_UNREACHABLE_ATTEMPTS)
    backoff = sum(policy.delay(attempt) for attempt in range(1, retry.MAX_UNREACHABLE_ATTEMPTS))
    assert 1.0 <= backoff <= 3.0, "a dead site is declared unreachable after about 2 s of backoff"
