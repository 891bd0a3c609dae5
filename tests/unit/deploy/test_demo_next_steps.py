"""`make demo` ends by saying how to see a reseller's month: a key for one of its invoiced resellers, then the page."""

from __future__ import annotations

import json
import shlex
from datetime import date

from deploy.demo.__main__ import next_steps
from deploy.demo.cast import CAST
from deploy.demo.scenario import Month, Reseller


def test_demo_next_steps_create_a_key_for_an_invoiced_reseller_and_name_the_pages() -> None:
    month = Month(period=date(2026, 11, 1), tag="t")
    trial = Reseller(plan=CAST[0], id="0190c3a1-2000-7000-8000-0000000000aa", legal_name="Trial Only Ltd")
    invoiced = Reseller(
        plan=CAST[1], id="0190c3a1-2000-7000-8000-0000000000bb", legal_name="Invoiced GmbH", invoice={"number": "1"}
    )
    month.resellers = {"trial": trial, "invoiced": invoiced}

    text = next_steps(month, "http://127.0.0.1:8000", "dev-admin-key")

    command = next(line for line in text.splitlines() if line.strip().startswith("curl"))
    words = shlex.split(command)
    body = json.loads(words[words.index("-d") + 1])
    assert body == {"name": "storefront of Invoiced GmbH", "role": "reseller", "tenant_id": invoiced.id}
    assert "X-API-Key: dev-admin-key" in words
    assert "http://127.0.0.1:8000/storefront" in text
    assert "http://127.0.0.1:8000/storefront/admin" in text
