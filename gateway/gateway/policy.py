"""The route policy: which roles may call which service paths with which methods.

Services check roles and tenant scoping on every route as well; this table is the gateway's coarse first
line, so a key that leaks with a narrow role (a storefront or a usage collector) cannot reach anything else.
A rule is (service, methods, path prefix under the service's `/v1/`); "" as the prefix means any path.
"""

from __future__ import annotations

from bss.identity import Role

READ = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ANY = READ | WRITE
ALL_SERVICES = ("catalog", "subscriptions", "billing", "support")
# The public storefront reads: GET /api/v1/catalog/storefront/... needs no credentials.
STOREFRONT_SERVICE = "catalog"
STOREFRONT_PREFIX = "storefront"

Rule = tuple[str, frozenset[str], str]

POLICY: dict[Role, tuple[Rule, ...]] = {
    # Distributor staff: everything.
    Role.ADMIN: tuple((service, ANY, "") for service in ALL_SERVICES),
    # Tier 1 support: reads everything, works tickets; no catalog, subscription or billing changes.
    Role.SUPPORT_AGENT: (*((service, READ, "") for service in ALL_SERVICES), ("support", ANY, "")),
    # A reseller: reads the catalog and its bills, runs its subscriptions and tickets (services scope the tenant).
    Role.RESELLER: (
        ("catalog", READ, ""),
        ("subscriptions", ANY, ""),
        ("billing", READ, ""),
        ("billing", frozenset({"PUT"}), "resellers"),  # names its customers (billing checks the path and tenant)
        ("support", ANY, ""),
    ),
    # A storefront: the published catalog only.
    Role.STOREFRONT: ((STOREFRONT_SERVICE, READ, STOREFRONT_PREFIX),),
    # Other BSS systems: usage ingestion only (report events, read back the fate of their events).
    Role.SYSTEM: (("billing", frozenset({"POST"}), "usage"), ("billing", frozenset({"GET"}), "usage")),
}


def _compile(policy: dict[Role, tuple[Rule, ...]]) -> dict[tuple[Role, str, str], tuple[str, ...]]:
    table: dict[tuple[Role, str, str], list[str]] = {}
    for role, rules in policy.items():
        for service, methods, prefix in rules:
            for method in methods:
                table.setdefault((role, service, method), []).append(prefix)
    return {key: tuple(prefixes) for key, prefixes in table.items()}


_TABLE = _compile(POLICY)


def under(path: str, prefix: str) -> bool:
    """Whether `path` (relative to the service's /v1/) is `prefix` or below it, segment-wise."""
    if not prefix:
        return True
    return path.startswith(prefix) and (len(path) == len(prefix) or path[len(prefix)] in "/?")


def allowed(role: Role, service: str, method: str, path: str) -> bool:
    """Whether `role` may call `method` on `path` (relative to `/v1/`) of `service` (the POLICY table)."""
    for prefix in _TABLE.get((role, service, method), ()):  # noqa: SIM110  # a loop: on every request, no generator
        if under(path, prefix):
            return True
    return False


def is_public(service: str, method: str, path: str) -> bool:
    """Whether the call is a storefront catalog read anyone may make without credentials."""
    return service == STOREFRONT_SERVICE and method in READ and under(path, STOREFRONT_PREFIX)
