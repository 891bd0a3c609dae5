"""The route policy table: which roles may call which service paths and methods."""

from __future__ import annotations

import pytest

from bss.identity import Role
from gateway.policy import allowed, is_public, under


def test_admin_may_call_every_service_with_every_method() -> None:
    for service in ("catalog", "subscriptions", "billing", "support"):
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            assert allowed(Role.ADMIN, service, method, "anything/1")


def test_system_may_only_post_usage_to_billing_and_read_back_its_fate() -> None:
    assert allowed(Role.SYSTEM, "billing", "POST", "usage")
    assert allowed(Role.SYSTEM, "billing", "POST", "usage/batches")
    assert allowed(Role.SYSTEM, "billing", "GET", "usage/evt-1")
    assert not allowed(Role.SYSTEM, "billing", "DELETE", "usage/evt-1")
    assert not allowed(Role.SYSTEM, "billing", "GET", "invoices")
    assert not allowed(Role.SYSTEM, "billing", "POST", "usage-corrections")
    assert not allowed(Role.SYSTEM, "billing", "POST", "invoices")
    assert not allowed(Role.SYSTEM, "subscriptions", "POST", "usage")


def test_storefront_only_reads_the_storefront_catalog() -> None:
    assert allowed(Role.STOREFRONT, "catalog", "GET", "storefront/groups")
    assert allowed(Role.STOREFRONT, "catalog", "GET", "storefront")
    assert not allowed(Role.STOREFRONT, "catalog", "GET", "storefronts")
    assert not allowed(Role.STOREFRONT, "catalog", "POST", "storefront/groups")
    assert not allowed(Role.STOREFRONT, "catalog", "GET", "products")
    assert not allowed(Role.STOREFRONT, "billing", "GET", "storefront/groups")


@pytest.mark.parametrize(
    ("service", "method", "expected"),
    [
        ("catalog", "GET", True),
        ("catalog", "POST", False),
        ("subscriptions", "POST", True),
        ("subscriptions", "DELETE", True),
        ("billing", "GET", True),
        ("billing", "POST", False),
        ("support", "POST", True),
    ],
)
def test_reseller_reads_catalog_and_bills_and_runs_its_subscriptions_and_tickets(
    service: str, method: str, expected: bool
) -> None:
    assert allowed(Role.RESELLER, service, method, "x") is expected


def test_support_agent_reads_everything_and_writes_only_tickets() -> None:
    assert all(allowed(Role.SUPPORT_AGENT, s, "GET", "x") for s in ("catalog", "subscriptions", "billing", "support"))
    assert allowed(Role.SUPPORT_AGENT, "support", "PATCH", "tickets/1")
    assert not allowed(Role.SUPPORT_AGENT, "subscriptions", "POST", "orders")
    assert not allowed(Role.SUPPORT_AGENT, "billing", "POST", "usage")


def test_unknown_service_or_method_is_refused_for_every_role() -> None:
    for role in Role:
        assert not allowed(role, "payroll", "GET", "x")
        assert not allowed(role, "catalog", "TRACE", "x")


def test_only_storefront_catalog_reads_are_public() -> None:
    assert is_public("catalog", "GET", "storefront/groups/g-1")
    assert not is_public("catalog", "POST", "storefront/groups")
    assert not is_public("catalog", "GET", "products")
    assert not is_public("billing", "GET", "storefront/groups")


def test_prefixes_match_whole_segments() -> None:
    assert under("usage", "usage")
    assert under("usage/x", "usage")
    assert under("anything", "")
    assert not under("usagex", "usage")
