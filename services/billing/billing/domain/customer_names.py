"""Whose name a customer goes by (docs/domain.md, the customer registry): a name set through the API is the
reseller's or the distributor's own word and wins; a name read from an Acronis usage report (`tenant_name`) fills
the registry where nobody named the customer, and follows the report's later names."""

from __future__ import annotations

from typing import Final

API: Final = "api"
ACRONIS: Final = "acronis"
# Lowest precedence first: a name may replace a name of the same or a lower precedence.
PRECEDENCE: Final = (ACRONIS, API)


def may_replace(incoming: str, current: str) -> bool:
    """Whether a name from `incoming` replaces the name a customer has from `current`."""
    return PRECEDENCE.index(incoming) >= PRECEDENCE.index(current)


def replaceable_by(incoming: str) -> tuple[str, ...]:
    """The sources whose names a name from `incoming` replaces."""
    return tuple(source for source in PRECEDENCE if may_replace(incoming, source))
