"""What the layers contracts cannot say about a service's rooms, for every service (docs/architecture.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {
    "catalog": ROOT / "services" / "catalog" / "catalog",
    "subscriptions": ROOT / "services" / "subscriptions" / "subscriptions",
    "billing": ROOT / "services" / "billing" / "billing",
    "support_sla": ROOT / "services" / "support-sla" / "support_sla",
}


@pytest.mark.parametrize("service", sorted(PACKAGES))
def test_no_use_case_or_route_looks_at_the_database_dialect(service: str) -> None:
    """Dialect-specific SQL (row locks, upserts, percentiles) lives in `adapters/`, chosen once at start."""
    package = PACKAGES[service]
    modules = [*sorted((package / "usecases").glob("*.py")), *sorted((package / "api").glob("*.py"))]
    assert modules
    offenders = [str(m.relative_to(package)) for m in modules if "dialect" in m.read_text(encoding="utf-8")]
    assert offenders == []
