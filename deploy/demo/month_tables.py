"""The closed month as text: each reseller's invoice (lines, commitment fee, ticket fees, totals, currency) and
the five Tier 1 support-program reports (seed 000)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from deploy.demo.scenario import Month, Reseller
from deploy.demo.text_table import Cell, table

KIND = {
    "usage": "usage",
    "adjustment": "late usage",
    "commitment_fee": "commitment fee",
    "support_charge": "support",
    "support_credit": "support credit",
}
REPORT_TITLES = {
    "a": "(A) cases per reseller",
    "b": "(B) cases per region by month",
    "c": "(C) age of open cases",
    "d": "(D) time to initial reply",
    "e": "(E) resolution time by severity",
}


def _money(text: str, currency: str) -> str:
    """Thousands separators for reading; the digits are the API's (JPY has no minor unit)."""
    return f"{Decimal(text):,} {currency}"


def invoice_table(reseller: Reseller) -> str:
    """The invoice's facts on one line, its lines as a table, then the totals."""
    plan = reseller.plan
    heading = f"{reseller.legal_name} ({plan.country})"
    if reseller.invoice is None:
        why = "a trial: its usage is never invoiced" if plan.kind == "trial" else "no invoice"
        return f"{heading}\n  no invoice for the month ({why})"
    doc = reseller.invoice["document"]
    currency = doc["currency"]
    rows: list[list[Cell]] = [
        [
            KIND.get(line["kind"], line["kind"]),
            _short(line["description"]),
            line["quantity"] or "",
            line["unit_price"] or "",
            f"{Decimal(line['amount']):,}",
        ]
        for line in doc["lines"]
    ]
    lines = table(["line", "description", "quantity", "unit price", f"amount {currency}"], rows)
    return f"{heading}: {' · '.join(_facts(reseller.invoice))}\n{lines}\n{_totals(doc)}"


def _facts(invoice: dict[str, Any]) -> list[str]:
    doc = invoice["document"]
    facts = [f"invoice {invoice['number']}", doc["tier"], doc["billing_period"][:7], f"dated {doc['invoice_date']}"]
    facts.append(doc["currency"])
    if doc["fx"]:
        facts.append(f"FX {doc['fx']['rate']} {doc['currency']} per {doc['price_list_currency']}")
    if doc["ramp_up_applied"]:
        facts.append("ramp-up: commitment waived")
    return facts


def _totals(doc: dict[str, Any]) -> str:
    totals = [
        ("usage total", doc["usage_total"]),
        ("commitment", doc["commitment"]),
        ("subtotal", doc["subtotal"]),
        (f"tax {doc['tax_rate']}%", doc["tax"]),
        ("total payable", doc["total"]),
    ]
    width = max(len(label) for label, _ in totals)
    text = "\n".join(f"  {label:>{width}}  {_money(amount, doc['currency'])}" for label, amount in totals)
    note = doc.get("tax_note")
    return f"{text}\n  {_short(note)}" if note else text


def _short(text: str, width: int = 72) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def report_table(month: Month, report: str) -> str:
    body = month.reports[report]
    rows = body["rows"]
    title = f"{REPORT_TITLES[report]}, {month.period:%B %Y}"
    if not rows:
        return f"{title}\n  no cases"
    if report == "c":
        return f"{title} (as of {str(body['as_of'])[:16]})\n{_columns(rows[0].keys(), rows)}"
    if report == "a":
        return f"{title}\n{_cases_per_reseller(month, rows)}"
    return f"{title}\n{_columns(rows[0].keys(), rows)}"


def _cases_per_reseller(month: Month, rows: list[dict[str, Any]]) -> str:
    """Report A, with this run's resellers named; resellers of earlier runs are summed on one line."""
    mine = [dict(row, reseller=month.name_of(row["reseller_id"])) for row in rows if month.name_of(row["reseller_id"])]
    others = [row for row in rows if not month.name_of(row["reseller_id"])]
    keys = ["reseller", *(k for k in rows[0] if k != "reseller_id")]
    text = _columns(keys, mine)
    if others:
        text += f"\n  ... and {sum(r['cases'] for r in others)} case(s) of {len(others)} other reseller(s)"
    return text


def _columns(keys: Any, rows: list[dict[str, Any]]) -> str:
    names = list(keys)
    headers = [name.replace("_seconds", " (h)").replace("_percent", " %").replace("_", " ") for name in names]
    return table(headers, [[_cell(name, row.get(name)) for name in names] for row in rows])


def _cell(name: str, value: Any) -> Cell:
    if name.endswith("_seconds") and value is not None:
        return round(float(value) / 3600, 1)  # hours read better than seconds
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value  # type: ignore[no-any-return]


def month_text(month: Month) -> str:
    parts = [f"Invoices for {month.period:%B %Y}"]
    parts += [invoice_table(reseller) for reseller in month.resellers.values()]
    parts.append(f"Tier 1 support-program reports for {month.period:%B %Y}")
    parts += [report_table(month, report) for report in sorted(month.reports)]
    return "\n\n".join(parts)
