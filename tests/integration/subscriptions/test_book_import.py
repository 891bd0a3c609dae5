"""Importing an existing book (docs/domain.md, "Importing an existing book"): resellers and paid subscriptions
from another system, line by line, idempotent on the source's ids, with a dry run that writes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from bss.calendar_months import period_containing, previous_period
from bss.events.contracts.catalog import ProductChangedV1, ProductPublishedV1
from tests.harness.identity import SUPPORT_AGENT, headers_for
from tests.harness.polling import eventually
from tests.integration.subscriptions.catalog_events import Catalog, publish
from tests.integration.subscriptions.harness import ADMIN_HEADERS, Service, count_rows, read_events

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

TABLES = ("resellers", "subscriptions", "imported_records", "setting_versions", "outbox")
LAST_MONTH = previous_period(period_containing(datetime.now(UTC).date()))


def reseller_line(source_id: str, **changes: Any) -> dict[str, Any]:
    line: dict[str, Any] = {
        "source_id": source_id,
        "legal_name": f"Imported {source_id} GmbH",
        "billing_email": "billing@imported.example",
        "billing_address": {"lines": ["Importweg 1"], "city": "Bremen", "postal_code": "28195", "country": "DE"},
        "country": "DE",
        "partner_since": "2021-01-01",
        "billing_currency": "EUR",
        "contract_signed_on": "2021-01-01",
        "tax_id": "DE136695976",
        "payment_terms_days": 14,
        "locale": "de-DE",
        "registered_at": "2021-01-04T09:00:00+01:00",
    }
    return {**line, **changes}


def subscription_line(source_id: str, reseller_source_id: str, product: str, **changes: Any) -> dict[str, Any]:
    line: dict[str, Any] = {
        "source_id": source_id,
        "reseller_source_id": reseller_source_id,
        "product": product,
        "started_at": "2021-02-01T00:00:00Z",
        "billed_through": LAST_MONTH.isoformat(),
    }
    return {**line, **changes}


async def post_book(
    service: Service, body: dict[str, Any], *, dry_run: bool = False, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await service.http.post(
        "/v1/imports/book",
        json=body,
        params={"dry_run": "true"} if dry_run else None,
        headers=headers or ADMIN_HEADERS,
    )


async def imported(service: Service, body: dict[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
    response = await post_book(service, body, dry_run=dry_run)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def row_counts(service: Service) -> dict[str, int]:
    return {table: await count_rows(service.database_url, table) for table in TABLES}


def statuses(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(line["kind"], line["source_id"], line["status"]) for line in result["lines"]]


async def test_book_import_dry_run_then_import_then_reimport_changes_nothing(
    service: Service, catalog: Catalog
) -> None:
    source = f"erp-{uuid.uuid4().hex[:8]}"
    book = {
        "source": source.upper(),  # read in lower case
        "resellers": [reseller_line("C-1"), reseller_line("C-2", country="AT", tax_id=None, locale="de-AT")],
        "subscriptions": [
            subscription_line("S-1", "C-1", catalog["t1000"]),
            subscription_line("S-2", "C-2", catalog["t10000"], billed_through=None, started_at="2021-03-01T00:00:00Z"),
        ],
    }
    before = await row_counts(service)
    dry = await imported(service, book, dry_run=True)
    assert (dry["dry_run"], dry["source"], dry["created"]) == (True, source, 4)
    assert [line["status"] for line in dry["lines"]] == ["created"] * 4
    assert [line["id"] for line in dry["lines"]] == [None] * 4  # nothing was created: no id to name
    assert await row_counts(service) == before, "a dry run writes nothing"

    real = await imported(service, book)
    assert statuses(real) == [
        ("reseller", "C-1", "created"),
        ("reseller", "C-2", "created"),
        ("subscription", "S-1", "created"),
        ("subscription", "S-2", "created"),
    ]
    ids = {line["source_id"]: line["id"] for line in real["lines"]}
    subscription = (await service.http.get(f"/v1/subscriptions/{ids['S-1']}", headers=ADMIN_HEADERS)).json()
    assert subscription["billed_elsewhere_through"] == LAST_MONTH.isoformat()
    assert (subscription["started_at"], subscription["reseller_id"]) == ("2021-02-01T00:00:00Z", ids["C-1"])
    reseller = (await service.http.get(f"/v1/resellers/{ids['C-1']}", headers=ADMIN_HEADERS)).json()
    assert reseller["registered_at"] == "2021-01-04T08:00:00Z"
    profile = (await service.http.get(f"/v1/resellers/{ids['C-1']}/billing-profile", headers=ADMIN_HEADERS)).json()
    assert (profile["effective_from"], profile["profile"]["payment_terms_days"]) == ("2021-01-04", 14)
    events = await read_events(service.bootstrap_servers, {ids["S-1"]}, expected=1)
    created = [e for e in events if e.type == "bss.subscriptions.SubscriptionCreated.v1"]
    assert created[0].data["billed_elsewhere_through"] == LAST_MONTH.isoformat()

    written = await row_counts(service)
    again = await imported(service, book)
    assert [line["status"] for line in again["lines"]] == ["unchanged"] * 4
    assert [line["id"] for line in again["lines"]] == [line["id"] for line in real["lines"]]
    assert await row_counts(service) == written, "importing again writes nothing, publishes nothing"


async def test_book_import_reimport_changes_the_profile_and_names_what_it_cannot_change(
    service: Service, catalog: Catalog
) -> None:
    source = f"erp-{uuid.uuid4().hex[:8]}"
    book = {
        "source": source,
        "resellers": [reseller_line("C-1")],
        "subscriptions": [subscription_line("S-1", "C-1", catalog["t1000"])],
    }
    first = await imported(service, book)
    reseller_id = first["lines"][0]["id"]
    changed = {
        "source": source,
        "resellers": [reseller_line("C-1", payment_terms_days=30, profile_effective_from="2025-01-01")],
        "subscriptions": [subscription_line("S-1", "C-1", catalog["t1000"], billed_through=None)],
    }
    answer = await imported(service, changed)
    assert [(line["status"], line["fields"]) for line in answer["lines"]] == [
        ("changed", ["payment_terms_days"]),
        ("conflict", ["billed_through"]),
    ]
    old = await service.http.get(
        f"/v1/resellers/{reseller_id}/billing-profile", params={"as_of": "2024-12-31"}, headers=ADMIN_HEADERS
    )
    new = await service.http.get(
        f"/v1/resellers/{reseller_id}/billing-profile", params={"as_of": "2025-01-01"}, headers=ADMIN_HEADERS
    )
    assert (old.json()["profile"]["payment_terms_days"], new.json()["profile"]["payment_terms_days"]) == (14, 30)
    moved = await imported(
        service, {"source": source, "resellers": [reseller_line("C-1", country="FR", tax_id="FR40303265045")]}
    )
    assert [(line["status"], line["fields"]) for line in moved["lines"]] == [("conflict", ["country"])]


async def test_book_import_refuses_a_line_with_its_reason_and_goes_on(service: Service, catalog: Catalog) -> None:
    source = f"erp-{uuid.uuid4().hex[:8]}"
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    this_month = period_containing(datetime.now(UTC).date()).isoformat()
    book = {
        "source": source,
        "resellers": [
            reseller_line("C-1"),
            reseller_line("C-future", registered_at=tomorrow),
        ],
        "subscriptions": [
            subscription_line("S-no-reseller", "C-missing", catalog["t1000"]),
            subscription_line("S-open-month", "C-1", catalog["t1000"], billed_through=this_month),
            subscription_line("S-mid-month", "C-1", catalog["t1000"], billed_through="2024-03-15"),
            subscription_line("S-unknown-code", "C-1", "ACC-NO-SUCH-CODE"),
            subscription_line("S-1", "C-1", catalog["t1000"]),
            subscription_line("S-second-live", "C-1", catalog["t1000"]),  # one live contract per reseller
            subscription_line("S-before-registration", "C-1", catalog["t10000"], started_at="2020-12-31T00:00:00Z"),
        ],
    }
    before = await row_counts(service)
    for dry_run in (True, False):
        answer = await imported(service, book, dry_run=dry_run)
        verdicts = {line["source_id"]: line for line in answer["lines"]}
        assert {k: v["status"] for k, v in verdicts.items()} == {
            "C-1": "created",
            "C-future": "refused",
            "S-no-reseller": "refused",
            "S-open-month": "refused",
            "S-mid-month": "refused",
            "S-unknown-code": "refused",
            "S-1": "created",
            "S-second-live": "refused",
            "S-before-registration": "refused",
        }, (dry_run, [(x["source_id"], x["problem"]) for x in answer["lines"] if x["status"] == "refused"])
        assert "registered_at" in str(verdicts["C-future"]["problem"])
        assert "C-missing" in verdicts["S-no-reseller"]["problem"]["detail"]
        assert "not ended" in str(verdicts["S-open-month"]["problem"])
        assert "ACC-NO-SUCH-CODE" in verdicts["S-unknown-code"]["problem"]["detail"]
        assert verdicts["S-second-live"]["problem"]["status"] in (409, 422)
        assert "registered" in verdicts["S-before-registration"]["problem"]["detail"]
        if dry_run:
            assert await row_counts(service) == before
    after = await row_counts(service)
    assert after["resellers"] == before["resellers"] + 1
    assert after["subscriptions"] == before["subscriptions"] + 1
    assert after["imported_records"] == before["imported_records"] + 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"source": "x", "subscriptions": [{"source_id": "S", "product": "p", "started_at": "2021-01-01T00:00:00"}]},
            "started_at",
        ),
        (
            {
                "source": "x",
                "subscriptions": [
                    {
                        "source_id": "S",
                        "reseller_id": "0190c3a1-2000-7000-8000-000000000200",
                        "reseller_source_id": "C",
                        "product": "p",
                        "started_at": "2021-01-01T00:00:00Z",
                    }
                ],
            },
            "reseller",
        ),
        ({"source": "../etc", "resellers": []}, "source"),
        ({"source": "x", "resellers": [reseller_line("C", tax_id="DE123456789")]}, "tax_id"),
        ({"source": "x", "surprise": 1}, "surprise"),
        (
            {
                "source": "x",
                "subscriptions": [
                    {
                        "source_id": f"S{i}",
                        "reseller_source_id": "C",
                        "product": "p",
                        "started_at": "2021-01-01T00:00:00Z",
                    }
                    for i in range(2001)
                ],
            },
            "subscriptions",
        ),
    ],
    ids=["naive-time", "two-resellers", "bad-source", "vat-id", "unknown-field", "too-many"],
)
async def test_book_import_refuses_a_malformed_request_whole(
    service: Service, body: dict[str, Any], field: str
) -> None:
    before = await row_counts(service)
    refused = await post_book(service, body)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert field in refused.text
    assert await row_counts(service) == before


async def test_book_import_is_for_admins_only(service: Service) -> None:
    refused = await post_book(service, {"source": "x"}, headers=headers_for(SUPPORT_AGENT))
    assert refused.status_code == 403


async def test_book_import_finds_a_product_by_the_code_its_version_in_force_has(service: Service) -> None:
    """A code names the product whose version in force on the start day has it: a code a product had before it
    was renamed names nothing after the rename."""
    suffix = uuid.uuid4().hex[:8].upper()
    product_id = str(uuid.uuid4())
    legacy, renamed = f"ACC-CSP-LEGACY-{suffix}", f"ACC-CSP-RENAMED-{suffix}"
    definition: dict[str, Any] = {
        "product_id": product_id,
        "effective_from": date(2019, 1, 1),
        "code": legacy,
        "name": f"Legacy {suffix}",
        "tier": f"Legacy {suffix}",
        "commitments": [{"currency": "USD", "amount": "300"}],
        "upgrade_product_ids": [],
        "exclusion_set": f"legacy-{suffix}",
    }
    renaming = {
        **definition,
        "effective_from": date(2024, 1, 1),
        "code": renamed,
        "name": f"Renamed {suffix}",
        "changes": ["renamed"],
        "previous_name": f"Legacy {suffix}",
    }
    await publish(
        service.bootstrap_servers,
        [ProductPublishedV1.model_validate(definition), ProductChangedV1.model_validate(renaming)],
    )
    book = {
        "source": f"codes-{suffix.lower()}",
        "resellers": [reseller_line("C-old"), reseller_line("C-gone"), reseller_line("C-new")],
        "subscriptions": [
            subscription_line("S-old", "C-old", legacy),
            subscription_line("S-gone", "C-gone", legacy, started_at="2024-06-01T00:00:00Z"),
            subscription_line("S-new", "C-new", renamed, started_at="2024-06-01T00:00:00Z"),
        ],
    }

    async def learned() -> bool:
        # Until the rename is read, the legacy code is still in force in June 2024: wait for the renamed one.
        answer = await imported(service, book, dry_run=True)
        return any(line["source_id"] == "S-new" and line["status"] == "created" for line in answer["lines"])

    await eventually(learned, what="the read model to learn the renamed product")
    verdicts = {line["source_id"]: line for line in (await imported(service, book))["lines"]}
    assert {k: v["status"] for k, v in verdicts.items()} == {
        "C-old": "created",
        "C-gone": "created",
        "C-new": "created",
        "S-old": "created",
        "S-gone": "refused",
        "S-new": "created",
    }
    assert legacy in verdicts["S-gone"]["problem"]["detail"]
    for source_id in ("S-old", "S-new"):
        subscription = await service.http.get(f"/v1/subscriptions/{verdicts[source_id]['id']}", headers=ADMIN_HEADERS)
        assert subscription.json()["product_id"] == product_id
