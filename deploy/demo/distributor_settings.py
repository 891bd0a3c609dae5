"""The distributor's billing settings, set through the admin API (`/api/v1/billing/settings/...`) as a finance
admin would: who sells, the tax of each buyer country, the discounts the vendor grants (docs/domain.md,
"Settings as data"). Each takes effect from the demo month's 1st; a value already in force is left alone, and
a month invoiced by an earlier run keeps the values it was invoiced with."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import httpx

from deploy.demo.gateway_calls import expect, problem

Say = Callable[[str], None]

SELLER = {
    "legal_name": "Cloud Distribution GmbH",
    "country": "DE",
    "vat_id": "DE136695976",
    "address_lines": ["Hauptstrasse 1", "10115 Berlin"],
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
    "bank_name": "Commerzbank",
}
NOT_SUBJECT_TO_GERMAN_VAT = "Not subject to German VAT: the service is supplied where the recipient is established."
# (path under /api/v1/billing/settings, value): the seller, the German rate, every other country, the discounts
SETTINGS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("seller/distributor", SELLER),
    ("tax-rates/DE", {"rate_percent": "19", "note": None}),
    ("tax-rates/*", {"rate_percent": "0", "note": NOT_SUBJECT_TO_GERMAN_VAT}),
    ("distributor-discounts/*", {"percent": "30"}),
)
TIER_DISCOUNT = ("Tier 3", {"percent": "35"})  # a better discount on the tier the vendor pushes


async def apply_settings(admin: httpx.AsyncClient, period: date, products: dict[str, str], say: Say) -> None:
    """Set what is not in force yet for `period`, from its 1st; say what is in force."""
    tier, discount = TIER_DISCOUNT
    wanted = [*SETTINGS, (f"distributor-discounts/tier:{products[tier]}", discount)]
    changed, kept = 0, 0
    for path, value in wanted:
        url = f"/api/v1/billing/settings/{path}"
        current = await admin.get(url, params={"as_of": period.isoformat()})
        if current.status_code == 200 and current.json()["value"] == value:
            kept += 1
            continue
        if current.status_code not in (200, 404):
            expect(current, 200, f"read the setting {path}")
        body = {"value": value, "effective_from": period.isoformat(), "reason": "make demo"}
        answer = await admin.put(url, json=body)
        if answer.status_code == 409:  # the month was invoiced by an earlier run: its values stay
            say(f"  setting     {path}: kept ({problem(answer)})")
            kept += 1
            continue
        expect(answer, 200, f"set {path}")
        changed += 1
    say(
        f"  settings    seller {SELLER['legal_name']} ({SELLER['country']}), VAT DE 19 %, other countries 0 %, "
        f"discount 30 % ({tier} 35 %): {changed} set, {kept} already in force"
    )


# The support desk's calendars (`/api/v1/support/settings/sla-calendars/...`): each reseller's tickets run on the
# working days and public holidays of its own country, in its own time zone.
CALENDARS: dict[str, dict[str, Any]] = {
    "us": {"name": "austin", "time_zone": "America/Chicago", "country": "US", "subdivision": "TX"},
    "de": {"name": "hamburg", "time_zone": "Europe/Berlin", "country": "DE", "subdivision": "HH"},
    "jp": {"name": "osaka", "time_zone": "Asia/Tokyo", "country": "JP", "working_weekdays": [0, 1, 2, 3, 4, 5]},
    "ch": {"name": "zurich", "time_zone": "Europe/Zurich", "country": "CH", "subdivision": "ZH"},
    "gb": {"name": "reading", "time_zone": "Europe/London", "country": "GB", "subdivision": "ENG"},
}


async def assign_calendars(admin: httpx.AsyncClient, period: date, resellers: dict[str, str], say: Say) -> None:
    """Each reseller (key -> id) gets its country's SLA calendar from the month's 1st (defined once)."""
    for key, reseller_id in resellers.items():
        calendar = CALENDARS.get(key)
        if calendar is None:
            continue
        value = {"working_weekdays": [0, 1, 2, 3, 4], **{k: v for k, v in calendar.items() if k != "name"}}
        url = f"/api/v1/support/settings/sla-calendars/{calendar['name']}"
        current = await admin.get(url, params={"as_of": period.isoformat()})
        if current.status_code != 200:
            body = {"value": value, "effective_from": period.isoformat(), "reason": "make demo"}
            answer = await admin.put(url, json=body)
            if answer.status_code != 200:
                say(f"  calendar    {calendar['name']}: not set ({problem(answer)})")
                continue
        assignment = {
            "value": {"calendar": calendar["name"]},
            "effective_from": period.isoformat(),
            "reason": "make demo",
        }
        path = f"/api/v1/support/settings/sla-calendar-assignments/{reseller_id}"
        expect(await admin.put(path, json=assignment), 200, f"assign the {calendar['name']} calendar")
    say("  calendars   " + ", ".join(f"{key.upper()} {c['name']} ({c['time_zone']})" for key, c in CALENDARS.items()))
