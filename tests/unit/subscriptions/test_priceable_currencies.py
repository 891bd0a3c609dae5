"""A currency is priceable when FX quotes (per-USD rates, pairs either direction) link it to a price-list currency."""

from __future__ import annotations

from datetime import date

from subscriptions.domain.priceable import FxLink, reachable_currencies

PRICE_LISTS = ("USD", "EUR", "GBP", "AUD", "JPY", "CAD")
ON = date(2024, 2, 1)
EARLIER = date(2024, 1, 1)


def reachable(*links: FxLink) -> set[str]:
    return reachable_currencies(PRICE_LISTS, links, ON)


def test_price_list_currencies_are_priceable_without_any_fx_quote() -> None:
    assert reachable() == set(PRICE_LISTS)


def test_priceable_with_a_direct_usd_rate() -> None:
    assert "MNT" in reachable(FxLink("USD", "MNT", EARLIER))


def test_priceable_with_a_pair_from_eur_in_either_direction() -> None:
    assert "SEK" in reachable(FxLink("EUR", "SEK", EARLIER))
    assert "SEK" in reachable(FxLink("SEK", "EUR", EARLIER))


def test_priceable_through_a_chain_eur_sek_nok() -> None:
    assert {"SEK", "NOK"} <= reachable(FxLink("EUR", "SEK", EARLIER), FxLink("SEK", "NOK", EARLIER))
    assert {"SEK", "NOK"} <= reachable(FxLink("NOK", "SEK", EARLIER), FxLink("SEK", "EUR", EARLIER))


def test_a_pair_between_currencies_not_linked_to_any_price_list_stays_unpriceable() -> None:
    found = reachable(FxLink("EUR", "SEK", EARLIER), FxLink("CHF", "NOK", EARLIER))
    assert "SEK" in found
    assert not {"CHF", "NOK"} & found


def test_a_pair_effective_after_the_date_does_not_count() -> None:
    assert "SEK" not in reachable(FxLink("EUR", "SEK", date(2024, 2, 2)))
    assert "SEK" in reachable(FxLink("EUR", "SEK", ON))
    chain_broken_later = reachable(FxLink("EUR", "SEK", EARLIER), FxLink("SEK", "NOK", date(2024, 3, 1)))
    assert "NOK" not in chain_broken_later
