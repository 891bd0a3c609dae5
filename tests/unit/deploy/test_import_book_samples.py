"""The sample book generator (deploy/import_book/samples.py; docs/import-format.md "The sample book"): the same
arguments give the same book, the counts asked for, well-formed tax ids, subscriptions the seeded catalog's rules
accept, and ticket histories support's own rules replay; the shipped copy is the generator's output."""

from __future__ import annotations

import filecmp
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from stdnum.au import abn
from stdnum.ch import vat as ch_vat
from stdnum.gb import vat as gb_vat

from bss.calendar_months import period_of
from bss.money import PRICE_LIST_CURRENCIES
from bss.vat_ids import EU_MEMBER_STATES, valid_eu_vat_id
from deploy.import_book import samples
from deploy.import_book.book_files import Book, read_book
from deploy.import_book.chunks import book_chunks
from deploy.import_book.samples import SampleBook, SampleOptions, generate, write_book
from subscriptions.api.import_schemas import BookImportIn
from support_sla.api.import_schemas import TicketImport
from support_sla.api.mapping import to_imported_ticket
from support_sla.domain.eol_policy import is_supported
from support_sla.domain.ticket_import import replay_import
from support_sla.domain.ticket_lifecycle import TicketFacts
from support_sla.settings import SupportSLASettings

REPO = Path(__file__).resolve().parents[3]
SHIPPED = REPO / "deploy" / "import_book" / "samples"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
OPTIONS = SampleOptions(billed_through=date(2026, 11, 1))
BOOK_END = datetime(2026, 12, 1, tzinfo=UTC)
RELEASES = SupportSLASettings.model_fields["product_releases"].default
# The catalog's availability rules, restated here (docs/domain.md "Availability rules") as an independent check.
FIRST_DAY = {"csp-commit-500": date(2024, 1, 1), "csp-commit-25000": date(2024, 1, 1)}
PROMO_CUT_OFF = date(2023, 11, 1)
REGION_RULE = ({"US", "GB", "IE", "AU"}, date(2024, 1, 1))
CODES = {f"csp-commit-{n}" for n in (0, 250, 500, 1000, 2000, 4000, 10000, 25000)} | {"csp-promo"}


@pytest.fixture(scope="module")
def book() -> SampleBook:
    return generate(OPTIONS)


@pytest.fixture(scope="module")
def read(book: SampleBook, tmp_path_factory: pytest.TempPathFactory) -> Book:
    directory = tmp_path_factory.mktemp("samples")
    write_book(book, directory)
    return read_book(directory, NOW)  # the command's own checks: every file reads without a problem


def test_the_same_options_give_the_same_book_and_another_seed_another(book: SampleBook) -> None:
    assert generate(OPTIONS) == book
    assert generate(SampleOptions(billed_through=OPTIONS.billed_through, seed=20)) != book


def test_the_book_has_the_counts_asked_for_in_every_country(book: SampleBook) -> None:
    assert (len(book.resellers), len(book.subscriptions), len(book.tickets)) == (200, 200, 500)
    countries = Counter(r["country"] for r in book.resellers)
    assert set(countries) == {"DE", "FR", "AT", "NL", "IT", "BE", "SE", "PL", "IE", "CH", "GB", "US", "JP", "AU", "CA"}
    small = generate(SampleOptions(billed_through=OPTIONS.billed_through, resellers=15, subscriptions=9, tickets=7))
    assert (len(small.resellers), len(small.subscriptions), len(small.tickets)) == (15, 9, 7)
    assert len({r["country"] for r in small.resellers}) == 15  # every country once first


def test_a_book_has_at_most_one_subscription_per_reseller() -> None:
    with pytest.raises(ValueError, match="at most one subscription per reseller"):
        generate(SampleOptions(billed_through=OPTIONS.billed_through, resellers=50, subscriptions=200))


def test_every_tax_id_is_well_formed_and_every_eu_reseller_has_its_vat_id(book: SampleBook) -> None:
    checks = {"GB": gb_vat.is_valid, "CH": ch_vat.is_valid, "AU": abn.is_valid}
    for reseller in book.resellers:
        country, tax_id = reseller["country"], reseller["tax_id"]
        if country in EU_MEMBER_STATES:
            assert valid_eu_vat_id(tax_id, country), reseller
        elif tax_id:
            assert checks[country](tax_id), reseller
    assert len({r["tax_id"] for r in book.resellers if r["tax_id"]}) == sum(1 for r in book.resellers if r["tax_id"])


def test_every_subscription_is_one_the_seeded_catalog_offers_its_reseller_on_its_start_day(book: SampleBook) -> None:
    resellers = {r["source_id"]: r for r in book.resellers}
    assert len({s["reseller_source_id"] for s in book.subscriptions}) == len(book.subscriptions)  # one each
    for line in book.subscriptions:
        reseller = resellers[line["reseller_source_id"]]
        started = datetime.fromisoformat(line["started_at"])
        start = started.date()
        assert line["product"] in CODES
        assert start >= FIRST_DAY.get(line["product"], date(2022, 1, 1)), line
        assert line["product"] != "csp-promo" or start < PROMO_CUT_OFF, line
        countries, since = REGION_RULE
        new_partner = reseller["country"] in countries and date.fromisoformat(reseller["partner_since"]) >= since
        assert not (line["product"] == "csp-commit-250" and new_partner and start >= since), (line, reseller)
        assert started > datetime.fromisoformat(reseller["registered_at"]), line
        assert period_of(started) <= OPTIONS.billed_through < date(2026, 12, 1)
        assert line["billed_through"] == "2026-11-01"
        cap = 3 if start < date(2023, 11, 1) else 1
        assert line["ramp_up_cycles"] == "" or 0 <= int(line["ramp_up_cycles"]) <= cap, line
        assert reseller["billing_currency"] in PRICE_LIST_CURRENCIES  # priced without FX rates
    products = Counter(line["product"] for line in book.subscriptions)
    assert set(products) == CODES  # every tier, Promo and the 2024 tiers included


def test_every_book_request_is_one_the_book_import_schema_accepts(read: Book) -> None:
    for chunk in book_chunks(read.resellers, read.subscriptions):
        BookImportIn.model_validate(chunk.body("samples"))  # VAT ids, countries, locales, lengths: the API's own


def test_every_ticket_history_replays_through_supports_own_rules(read: Book, book: SampleBook) -> None:
    registered = {r["source_id"]: datetime.fromisoformat(r["registered_at"]) for r in book.resellers}
    for line in read.tickets:
        body = line.body | {"source": "samples", "reseller_id": "0190c3a1-2000-7000-8000-000000000200"}
        ticket = to_imported_ticket(TicketImport.model_validate(body))
        unsupported = ticket.build_number is not None and not is_supported(ticket.build_number, RELEASES)
        replay_import(ticket, TicketFacts(ticket.opened_at, ticket.severity, unsupported_version=unsupported), NOW)
        assert ticket.opened_at > registered[line.reseller_source_id or ""], line.source_id
        assert all(step.at < BOOK_END for step in ticket.history), line.source_id


def test_the_tickets_tell_varied_stories_some_still_open(book: SampleBook) -> None:
    kinds = Counter(step["kind"] for step in book.history)
    assert set(kinds) == {"message", "severity_change", "escalation", "state_change"}
    assert {s["by"] for s in book.history if s["kind"] == "message"} == {"reseller", "support"}
    assert any(s["wait_on_reseller"] == "true" for s in book.history)
    assert any(s["internal"] == "true" for s in book.history)
    states = Counter(s["state"] for s in book.history if s["kind"] == "state_change")
    assert set(states) == {"temporary_solution_provided", "resolved", "closed"}
    finished = {s["ticket_source_id"] for s in book.history if s["state"] in ("resolved", "closed")}
    still_open = len(book.tickets) - len(finished)
    assert 0.05 * len(book.tickets) < still_open < 0.3 * len(book.tickets)
    assert len({t["severity"] for t in book.tickets}) == 4


def test_dates_follow_billed_through_not_the_day_of_generation(book: SampleBook) -> None:
    later = generate(SampleOptions(billed_through=date(2027, 2, 1)))
    assert later != book
    assert {line["billed_through"] for line in later.subscriptions} == {"2027-02-01"}
    assert samples.default_billed_through(date(2026, 12, 7)) == date(2026, 11, 1)
    assert samples.default_billed_through(date(2027, 1, 1)) == date(2026, 12, 1)


def test_the_shipped_copy_is_the_generators_output_for_its_fixed_date(tmp_path: Path) -> None:
    assert samples.main([str(tmp_path), "--today", "2026-12-01"]) == 0
    names = ["resellers.csv", "subscriptions.csv", "tickets.csv", "ticket_history.csv"]
    _, mismatched, errors = filecmp.cmpfiles(SHIPPED, tmp_path, names, shallow=False)
    assert (mismatched, errors) == ([], []), "regenerate: python -m deploy.import_book.samples " + str(SHIPPED)


def test_the_command_refuses_a_month_that_has_not_ended_and_impossible_counts(tmp_path: Path) -> None:
    assert samples.main([str(tmp_path), "--today", "2026-12-07", "--billed-through", "2026-12-01"]) == 2
    assert samples.main([str(tmp_path), "--billed-through", "2026-11-15"]) == 2
    assert samples.main([str(tmp_path), "--resellers", "50", "--subscriptions", "200"]) == 2
    assert not list(tmp_path.iterdir())
