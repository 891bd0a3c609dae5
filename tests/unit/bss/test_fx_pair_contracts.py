"""The FX contracts grow additively: `FxRatesPublished.pairs` and `InvoiceIssued.fx.legs` (docs/domain.md, "FX
rates"): old payloads still parse, and a table never quotes a pair twice or a currency against itself."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from bss.events.contracts.billing import FxApplied
from bss.events.contracts.catalog import FxRatesPublishedV1

TABLE = "0190c3a0-2000-7000-8000-000000000200"


def table(**fields: Any) -> dict[str, Any]:
    return {"rate_table_id": TABLE, "effective_from": date(2024, 1, 1), "rates": [], **fields}


def test_fx_contract_an_old_table_without_pairs_still_parses_with_no_pairs() -> None:
    old = FxRatesPublishedV1.model_validate(table(rates=[{"currency": "CHF", "units_per_usd": "0.8412"}]))

    assert old.pairs == ()
    assert old.quoted_pairs() == [("USD", "CHF", Decimal("0.8412"))]


def test_fx_contract_a_table_of_pairs_alone_lists_them_after_the_usd_rates() -> None:
    data = FxRatesPublishedV1.model_validate(table(pairs=[{"base": "EUR", "quote": "SEK", "rate": "11.2"}]))

    assert data.quoted_pairs() == [("EUR", "SEK", Decimal("11.2"))]
    assert FxRatesPublishedV1.model_validate(data.model_dump(mode="json")) == data


@pytest.mark.parametrize(
    "fields",
    [
        {"pairs": []},
        {"pairs": [{"base": "EUR", "quote": "EUR", "rate": "1"}]},
        {"pairs": [{"base": "EUR", "quote": "SEK", "rate": "11"}, {"base": "SEK", "quote": "EUR", "rate": "0.09"}]},
        {
            "rates": [{"currency": "SEK", "units_per_usd": "10"}],
            "pairs": [{"base": "USD", "quote": "SEK", "rate": "10"}],
        },
        {"pairs": [{"base": "EUR", "quote": "SEK", "rate": "0"}]},
        {"pairs": [{"base": "EUR", "quote": "SEK", "rate": 11.2}]},
    ],
    ids=["empty", "against-itself", "twice-inverse", "pair-and-rate", "zero", "float"],
)
def test_fx_contract_refuses_a_table_quoting_nothing_a_pair_twice_or_a_currency_against_itself(
    fields: dict[str, Any],
) -> None:
    with pytest.raises(ValidationError):
        FxRatesPublishedV1.model_validate(table(**fields))


def test_fx_contract_an_invoice_fx_without_legs_parses_and_legs_use_from_and_to() -> None:
    old = FxApplied.model_validate({"rate": "0.8412", "rate_table_id": TABLE, "effective_from": "2024-01-01"})
    leg = {"from": "USD", "to": "CHF", "rate": "0.8412", "rate_table_id": TABLE, "effective_from": "2024-01-01"}
    new = FxApplied.model_validate({**old.model_dump(mode="json"), "legs": [leg]})

    assert old.legs == ()
    assert new.model_dump(mode="json")["legs"] == [leg]
