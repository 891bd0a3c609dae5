"""FX publications with pairs of any two currencies beside the units per USD (docs/domain.md, "FX rates"): the
publication, its event, the reads as of a date, and the pairs refused (problem+json, nothing written).

Dates are in 2040 and the currencies exotic: the shared broker replays these events into every later billing world.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from bss.embedded_broker import EmbeddedBroker
from tests.harness.databases import DatabaseFactory
from tests.integration.catalog.harness import Catalog, running_catalog

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def catalog(databases: DatabaseFactory, broker: EmbeddedBroker) -> AsyncIterator[Catalog]:
    async with running_catalog(databases, broker) as running:
        yield running


async def _fx_events(catalog: Catalog) -> list[dict[str, Any]]:
    return [e.data for e in await catalog.outbox_events() if e.type == "bss.catalog.FxRatesPublished.v1"]


async def test_fx_pairs_are_published_beside_the_usd_rates_and_carried_by_the_event(catalog: Catalog) -> None:
    body = {
        "effective_from": "2040-01-01",
        "rates": [{"currency": "NOK", "units_per_usd": "10.6"}],
        "pairs": [{"base": "NOK", "quote": "DKK", "rate": "0.65"}, {"base": "ISK", "quote": "USD", "rate": "0.0072"}],
        "source": "test",
    }

    created = await catalog.admin("POST", "/v1/fx-rates", json=body)

    assert created.status_code == 201, created.text
    answer = created.json()
    assert answer["rates"] == body["rates"]
    assert answer["pairs"] == body["pairs"]
    event = (await _fx_events(catalog))[-1]
    assert (event["effective_from"], event["rates"], event["pairs"]) == ("2040-01-01", body["rates"], body["pairs"])


async def test_fx_pairs_alone_make_a_publication_with_no_usd_rate(catalog: Catalog) -> None:
    created = await catalog.admin(
        "POST",
        "/v1/fx-rates",
        json={"effective_from": "2040-02-01", "pairs": [{"base": "DKK", "quote": "NOK", "rate": "1.6"}]},
    )

    assert created.status_code == 201, created.text
    assert (created.json()["rates"], created.json()["pairs"]) == ([], [{"base": "DKK", "quote": "NOK", "rate": "1.6"}])
    event = (await _fx_events(catalog))[-1]
    assert (event["rates"], event["pairs"]) == ([], [{"base": "DKK", "quote": "NOK", "rate": "1.6"}])


async def test_fx_pairs_reads_show_the_latest_of_each_pair_on_or_before_the_day(catalog: Catalog) -> None:
    answer = await catalog.admin("GET", "/v1/fx-rates", params={"on": "2040-02-15"})

    assert answer.status_code == 200, answer.text
    by_pair = {(r["base"], r["quote"]): r for r in answer.json()}
    latest = {pair: (read["rate"], read["effective_from"]) for pair, read in by_pair.items()}
    assert (
        latest.items()
        >= {
            ("USD", "NOK"): ("10.6", "2040-01-01"),
            ("NOK", "DKK"): ("0.65", "2040-01-01"),
            ("DKK", "NOK"): ("1.6", "2040-02-01"),
            ("ISK", "USD"): ("0.0072", "2040-01-01"),
        }.items()
    )
    assert (by_pair[("USD", "NOK")]["currency"], by_pair[("USD", "NOK")]["units_per_usd"]) == ("NOK", "10.6")
    assert (by_pair[("NOK", "DKK")]["currency"], by_pair[("NOK", "DKK")]["units_per_usd"]) == (None, None)
    before = await catalog.admin("GET", "/v1/fx-rates", params={"on": "2040-01-31"})
    assert ("DKK", "NOK") not in {(r["base"], r["quote"]) for r in before.json()}


BAD_PAIRS = [
    ({"pairs": [{"base": "NOK", "quote": "NOK", "rate": "1"}]}, "pairs.0.quote"),
    ({"pairs": [{"base": "NOK", "quote": "QQQ", "rate": "1"}]}, "pairs.0.quote"),
    ({"pairs": [{"base": "NOK", "quote": "SEK", "rate": "0"}]}, "pairs.0.rate"),
    ({"pairs": [{"base": "NOK", "quote": "SEK", "rate": "-1.5"}]}, "pairs.0.rate"),
    ({"pairs": [{"base": "NOK", "quote": "SEK", "rate": 1.5}]}, "pairs.0.rate"),
    (
        {"pairs": [{"base": "NOK", "quote": "SEK", "rate": "1"}, {"base": "NOK", "quote": "SEK", "rate": "2"}]},
        "pairs.1",
    ),
    (
        {"pairs": [{"base": "NOK", "quote": "SEK", "rate": "1"}, {"base": "SEK", "quote": "NOK", "rate": "1"}]},
        "pairs.1",
    ),
    (
        {
            "rates": [{"currency": "SEK", "units_per_usd": "10"}],
            "pairs": [{"base": "SEK", "quote": "USD", "rate": "0.1"}],
        },
        "pairs.0",
    ),
    ({"rates": [], "pairs": []}, "rates"),
]


@pytest.mark.parametrize(("extra", "field"), BAD_PAIRS)
async def test_fx_pairs_bad_input_is_refused_with_problem_json_and_writes_nothing(
    catalog: Catalog, extra: dict[str, Any], field: str
) -> None:
    written = await catalog.written()

    response = await catalog.admin("POST", "/v1/fx-rates", json={"effective_from": "2040-03-01", **extra})

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    assert await catalog.written() == written


async def test_fx_pairs_a_pair_quoted_on_that_date_already_is_refused_in_either_direction(catalog: Catalog) -> None:
    first = {"effective_from": "2040-04-01", "pairs": [{"base": "PLN", "quote": "CZK", "rate": "5.8"}]}
    assert (await catalog.admin("POST", "/v1/fx-rates", json=first)).status_code == 201
    written = await catalog.written()

    for again in (
        {"pairs": [{"base": "CZK", "quote": "PLN", "rate": "0.17"}]},
        {"pairs": [{"base": "PLN", "quote": "CZK", "rate": "5.9"}]},
        {
            "rates": [{"currency": "NOK", "units_per_usd": "10"}],
            "pairs": [{"base": "NOK", "quote": "USD", "rate": "0.1"}],
        },
    ):
        response = await catalog.admin("POST", "/v1/fx-rates", json={"effective_from": "2040-04-01", **again})
        assert response.status_code == 422, response.text
        assert response.json()["type"].endswith("overlapping-effective-period")
    assert await catalog.written() == written
    later = {"effective_from": "2040-05-01", "pairs": [{"base": "CZK", "quote": "PLN", "rate": "0.17"}]}
    assert (await catalog.admin("POST", "/v1/fx-rates", json=later)).status_code == 201
