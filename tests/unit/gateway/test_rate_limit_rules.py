"""The token bucket: `rate` tokens a second, at most `burst`, one per request."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.ratelimit import LocalLimiter, lease_size, refill, take_token


def test_a_new_key_may_send_a_burst_then_waits_for_the_rate() -> None:
    limiter = LocalLimiter()
    assert [limiter.take_now("k", 2.0, 3, now=100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take_now("k", 2.0, 3, now=100.0) == 0.5
    assert limiter.take_now("k", 2.0, 3, now=100.5) == 0.0


def test_buckets_are_per_key() -> None:
    limiter = LocalLimiter()
    assert limiter.take_now("a", 1.0, 1, now=0.0) == 0.0
    assert limiter.take_now("a", 1.0, 1, now=0.0) > 0
    assert limiter.take_now("b", 1.0, 1, now=0.0) == 0.0


def test_an_idle_bucket_refills_only_up_to_the_burst() -> None:
    assert refill(0.0, 1_000_000.0, 5.0, 10) == 10.0
    assert refill(2.0, 0.5, 4.0, 10) == 4.0
    assert refill(2.0, -3.0, 4.0, 10) == 2.0  # a clock going backwards adds nothing


def test_pruning_forgets_only_idle_buckets() -> None:
    limiter = LocalLimiter(max_keys=2)
    limiter.take_now("old", 1.0, 1, now=0.0)
    limiter.take_now("recent", 1.0, 1, now=100.0)
    limiter.take_now("new", 1.0, 1, now=120.0)
    assert limiter.take_now("recent", 1.0, 1, now=100.5) > 0  # still remembered: still empty


@given(
    rate=st.floats(min_value=0.01, max_value=1000),
    burst=st.integers(min_value=1, max_value=1000),
    gaps=st.lists(st.floats(min_value=0, max_value=10), min_size=1, max_size=200),
)
def test_never_more_than_burst_plus_rate_times_elapsed_requests_pass(
    rate: float, burst: int, gaps: list[float]
) -> None:
    limiter = LocalLimiter()
    now = 0.0
    passed = 0
    for gap in gaps:
        now += gap
        passed += limiter.take_now("k", rate, burst, now=now) == 0.0
    assert passed <= burst + rate * now + 1e-6


@given(
    rate=st.floats(min_value=0.01, max_value=1000),
    burst=st.integers(min_value=1, max_value=1000),
    gaps=st.lists(st.floats(min_value=-1, max_value=10), min_size=1, max_size=50),
)
def test_the_local_limiter_applies_refill_then_take_token(rate: float, burst: int, gaps: list[float]) -> None:
    limiter = LocalLimiter()
    tokens, now = float(burst), 0.0
    for gap in gaps:
        tokens, retry = take_token(refill(tokens, gap, rate, burst), rate)
        now += gap
        assert limiter.take_now("k", rate, burst, now=now) == pytest.approx(retry, rel=1e-9, abs=1e-9)


def test_the_retry_after_is_the_time_until_one_token() -> None:
    assert take_token(0.25, 0.5) == (0.25, 1.5)
    assert take_token(1.0, 0.5) == (0.0, 0.0)


def test_a_replica_leases_a_tenth_of_the_burst_or_50_ms_of_the_rate_and_at_least_one_token() -> None:
    assert lease_size(100.0, 200) == 5  # 50 ms of 100/s
    assert lease_size(10_000.0, 200) == 20  # a tenth of the burst
    assert lease_size(0.5, 3) == 1  # slow keys: exact, one token per Redis call
