"""Which billing currencies can be priced: those an FX quote path links to a price-list currency.

A per-USD rate links USD and its currency; a pair links its base and quote, in either direction (billing converts
with the direct pair, its inverse, or through its base currency; DOMAIN: "FX rates"). A currency is priceable on a
day when a breadth-first walk over the links effective on or before that day reaches it from a price-list currency.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class FxLink:
    """Two currencies quoted against each other (either direction) from `effective_from`."""

    a: str
    b: str
    effective_from: date


def reachable_currencies(price_lists: Iterable[str], links: Iterable[FxLink], on: date) -> set[str]:
    """The price-list currencies and every currency reachable from one through links effective on or before `on`."""
    neighbours: defaultdict[str, set[str]] = defaultdict(set)
    for link in links:
        if link.effective_from <= on and link.a != link.b:
            neighbours[link.a].add(link.b)
            neighbours[link.b].add(link.a)
    reached = set(price_lists)
    queue = deque(reached)
    while queue:
        for currency in neighbours[queue.popleft()] - reached:
            reached.add(currency)
            queue.append(currency)
    return reached
