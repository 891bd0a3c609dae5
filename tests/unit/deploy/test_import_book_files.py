"""Reading a book's CSV files (deploy/import_book; docs/import-format.md): a good book reads into the API's lines,
and each kind of bad input is refused before anything is sent, naming its file, line and column."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from deploy.import_book import __main__ as command
from deploy.import_book import book_files, csv_reading
from deploy.import_book.book_files import BookInvalid, read_book

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[3]

RESELLER = {
    "source_id": "R-1",
    "registered_at": "2023-03-01T09:00:00Z",
    "legal_name": "Northwind Managed Services GmbH",
    "billing_email": "billing@northwind.example",
    "address_line_1": "Hafenstraße 12",
    "city": "Hamburg",
    "postal_code": "20457",
    "country": "DE",
    "partner_since": "2021-03-01",
    "billing_currency": "EUR",
    "contract_signed_on": "2023-02-20",
    "tax_id": "DE136695976",
    "payment_terms_days": "14",
    "locale": "de_DE",
}
SUBSCRIPTION = {
    "source_id": "S-1",
    "reseller_source_id": "R-1",
    "product": "csp-commit-1000",
    "started_at": "2023-03-15T00:00:00+01:00",
    "billed_through": "2026-11-01",
    "ramp_up_cycles": "",
}
TICKET = {
    "source_id": "T-1",
    "reseller_source_id": "R-1",
    "subject": "Backups fail",
    "description": "Every night.\nSince Monday.",
    "product": "",
    "build_number": "24.3.37719",
    "severity": "B",
    "opened_at": "2025-02-05T09:12:00+01:00",
}
STEPS = [
    {"ticket_source_id": "T-1", "at": "2025-02-05T10:02:00+01:00", "kind": "message", "by": "support",
     "body": "Which build?", "wait_on_reseller": "true"},
    {"ticket_source_id": "T-1", "at": "2025-02-05T13:40:00+01:00", "kind": "message", "by": "reseller",
     "body": "=SUM(A1:A3) is in the report", "author": "Tom Fischer"},
    {"ticket_source_id": "T-1", "at": "2025-02-06T08:00:00+01:00", "kind": "severity_change", "severity": "A",
     "reason": "Data loss"},
    {"ticket_source_id": "T-1", "at": "2025-02-08T16:30:00+01:00", "kind": "state_change", "state": "resolved",
     "resolution": "solved"},
]  # fmt: skip


def write(path: Path, rows: Sequence[dict[str, str]], columns: Sequence[str] | None = None) -> None:
    names = list(columns or dict.fromkeys(key for row in rows for key in row))
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def book_dir(tmp_path: Path, **files: Any) -> Path:
    """A good book, with any file replaced: a list of rows, or bytes written as they are."""
    default: dict[str, Any] = {
        "resellers.csv": [RESELLER],
        "subscriptions.csv": [SUBSCRIPTION],
        "tickets.csv": [TICKET],
        "ticket_history.csv": STEPS,
    }
    for name, content in (default | {f"{k}.csv": v for k, v in files.items()}).items():
        if isinstance(content, bytes):
            (tmp_path / name).write_bytes(content)
        else:
            write(tmp_path / name, content)
    return tmp_path


def problems(directory: Path) -> list[str]:
    with pytest.raises(BookInvalid) as refused:
        read_book(directory, NOW)
    return refused.value.problems


def only(found: list[str], pattern: str) -> str:
    matching = [p for p in found if re.search(pattern, p)]
    assert len(matching) == 1, found
    return matching[0]


def test_a_good_book_reads_into_the_lines_the_import_apis_take(tmp_path: Path) -> None:
    book = read_book(book_dir(tmp_path), NOW)
    [reseller], [subscription], [ticket] = book.resellers, book.subscriptions, book.tickets
    assert reseller.body == {
        "source_id": "R-1",
        "registered_at": "2023-03-01T09:00:00+00:00",
        "legal_name": "Northwind Managed Services GmbH",
        "billing_email": "billing@northwind.example",
        "billing_address": {"lines": ["Hafenstraße 12"], "city": "Hamburg", "country": "DE", "postal_code": "20457"},
        "country": "DE",
        "partner_since": "2021-03-01",
        "billing_currency": "EUR",
        "contract_signed_on": "2023-02-20",
        "tax_id": "DE136695976",
        "payment_terms_days": 14,
        "locale": "de-DE",
    }
    assert (subscription.reseller_source_id, subscription.body) == (
        "R-1",
        {
            "source_id": "S-1",
            "product": "csp-commit-1000",
            "started_at": "2023-03-15T00:00:00+01:00",
            "billed_through": "2026-11-01",
        },
    )
    assert ticket.body["history"] == [
        {"kind": "message", "at": "2025-02-05T10:02:00+01:00", "by": "support", "body": "Which build?",
         "wait_on_reseller": True},
        {"kind": "message", "at": "2025-02-05T13:40:00+01:00", "by": "reseller",
         "body": "=SUM(A1:A3) is in the report", "author": "Tom Fischer"},
        {"kind": "severity_change", "at": "2025-02-06T08:00:00+01:00", "severity": "A", "reason": "Data loss"},
        {"kind": "state_change", "at": "2025-02-08T16:30:00+01:00", "state": "resolved", "resolution": "solved"},
    ]  # fmt: skip
    assert ticket.body["description"] == "Every night.\nSince Monday."  # multi-line text as written
    assert ticket.step_lines == (2, 3, 4, 5)
    assert "product" not in ticket.body  # an empty cell is not given: the API's default applies


def test_a_formula_like_cell_is_text_and_a_byte_order_mark_is_allowed(tmp_path: Path) -> None:
    hostile = RESELLER | {"legal_name": "=cmd|' /C calc'!A0", "address_line_1": "+1 Main Street"}
    directory = book_dir(tmp_path, resellers=[hostile])
    path = directory / "resellers.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    [reseller] = read_book(directory, NOW).resellers
    assert reseller.body["legal_name"] == "=cmd|' /C calc'!A0"
    assert reseller.body["billing_address"]["lines"] == ["+1 Main Street"]


def test_the_documented_examples_are_a_good_book(tmp_path: Path) -> None:
    text = (REPO / "docs" / "import-format.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```csv\n(.*?)```", text, flags=re.DOTALL)
    names = ("resellers.csv", "subscriptions.csv", "tickets.csv", "ticket_history.csv")
    assert len(blocks) == len(names)
    for name, block in zip(names, blocks, strict=True):
        (tmp_path / name).write_text(block, encoding="utf-8")
    book = read_book(tmp_path, NOW)
    assert (len(book.resellers), len(book.subscriptions), len(book.tickets), book.steps) == (2, 2, 1, 5)


def test_a_missing_file_an_empty_file_and_a_missing_directory_are_named(tmp_path: Path) -> None:
    directory = book_dir(tmp_path)
    (directory / "tickets.csv").unlink()
    (directory / "ticket_history.csv").write_text("")
    found = problems(directory)
    assert only(found, "^tickets.csv: missing")
    assert only(found, "^ticket_history.csv: empty")
    files = "resellers.csv, subscriptions.csv, tickets.csv, ticket_history.csv"
    assert problems(tmp_path / "nowhere") == [f"{tmp_path / 'nowhere'}: not a directory holding {files}"]


def test_unknown_missing_and_repeated_columns_are_named_on_line_1(tmp_path: Path) -> None:
    found = problems(book_dir(tmp_path, resellers=[RESELLER | {"tax_ld": "DE136695976"}]))
    assert "resellers.csv line 1: unknown columns: 'tax_ld'" in only(found, "tax_ld")
    missing = {k: v for k, v in SUBSCRIPTION.items() if k != "started_at"}
    assert only(problems(book_dir(tmp_path, subscriptions=[missing])), "^subscriptions.csv line 1: missing columns: "
                "started_at")  # fmt: skip
    (tmp_path / "tickets.csv").write_text("source_id,subject,subject,severity,opened_at,reseller_id\n")
    assert only(problems(tmp_path), "^tickets.csv line 1: repeated columns: subject")


@pytest.mark.parametrize(
    ("file", "row", "column", "message"),
    [
        ("resellers", RESELLER | {"partner_since": "2021-3-1"}, "partner_since", "not a date YYYY-MM-DD"),
        ("resellers", RESELLER | {"partner_since": "2021-02-30"}, "partner_since", "not a date YYYY-MM-DD"),
        ("resellers", RESELLER | {"registered_at": "2023-03-01T09:00:00"}, "registered_at", "with its offset"),
        ("resellers", RESELLER | {"registered_at": "2023-03-01 09:00Z"}, "registered_at", "with its offset"),
        ("resellers", RESELLER | {"registered_at": "2027-01-01T00:00:00Z"}, "registered_at", "in the future"),
        ("resellers", RESELLER | {"registered_at": "0024-01-01T00:00:00Z"}, "registered_at", "before 1900-01-01"),
        ("resellers", RESELLER | {"country": "UK"}, "country", "the United Kingdom is 'GB'"),
        ("resellers", RESELLER | {"billing_currency": "eur"}, "billing_currency", "ISO 4217"),
        ("resellers", RESELLER | {"price_list_currency": "CHF"}, "price_list_currency", "not a vendor price list"),
        ("resellers", RESELLER | {"tax_id": "DE136695977"}, "tax_id", "not a valid VAT id of DE"),
        ("resellers", RESELLER | {"tax_id": "CHE-116.281.710 MWST"}, "tax_id", "not a valid VAT id of DE"),
        ("resellers", RESELLER | {"billing_email": "billing at northwind"}, "billing_email", "not an email"),
        ("resellers", RESELLER | {"locale": "xx-YY"}, "locale", "not a locale"),
        ("resellers", RESELLER | {"payment_terms_days": "-5"}, "payment_terms_days", "from 0 to 365"),
        ("resellers", RESELLER | {"legal_name": "North\x1b[31mwind"}, "legal_name", "U\\+001B"),
        ("resellers", RESELLER | {"legal_name": "N" * 201}, "legal_name", "at most 200"),
        ("resellers", RESELLER | {"city": " "}, "city", "required, but empty"),
        ("subscriptions", SUBSCRIPTION | {"billed_through": "2026-11-15"}, "billed_through", "not the first day"),
        ("subscriptions", SUBSCRIPTION | {"billed_through": "2026-12-01"}, "billed_through", "has not ended"),
        ("subscriptions", SUBSCRIPTION | {"billed_through": "2023-02-01"}, "billed_through", "before the month"),
        ("subscriptions", SUBSCRIPTION | {"ramp_up_cycles": "4"}, "ramp_up_cycles", "from 0 to 3"),
        ("subscriptions", SUBSCRIPTION | {"reseller_id": "not-a-uuid"}, "reseller_id", "not a UUID"),
        ("subscriptions", SUBSCRIPTION | {"reseller_source_id": ""}, "reseller_source_id", "one of them"),
        ("tickets", TICKET | {"severity": "E"}, "severity", "not one of A, B, C, D"),
        ("tickets", TICKET | {"build_number": "24.3-beta"}, "build_number", "dotted digits"),
        ("tickets", TICKET | {"description": "x" * 20_001}, "description", "at most 20,000"),
    ],
)
def test_a_bad_cell_is_named_by_file_line_and_column(
    tmp_path: Path, file: str, row: dict[str, str], column: str, message: str
) -> None:
    found = problems(book_dir(tmp_path, **{file: [row]}))
    assert re.search(message, only(found, f"^{file}.csv line 2, column {column}: ")), found


@pytest.mark.parametrize(
    ("step", "column", "message"),
    [
        ({"kind": "message", "by": "support", "body": "Hi", "severity": "A"}, "severity", "does not apply"),
        ({"kind": "message", "by": "robot", "body": "Hi"}, "by", "not one of reseller, support"),
        ({"kind": "message", "by": "support", "body": "Hi", "internal": "yes"}, "internal", "true or false"),
        ({"kind": "message", "by": "support"}, "body", "required"),
        ({"kind": "state_change", "state": "resolved"}, "resolution", "required to resolve"),
        ({"kind": "state_change", "state": "reopened"}, "state", "not one of"),
        ({"kind": "escalation", "escalation_symptoms": "Fails"}, "escalation_contact", "required"),
        ({"kind": "note", "body": "Hi"}, "kind", "not one of message, severity_change"),
    ],
)
def test_a_bad_history_step_is_named_by_line_and_column(
    tmp_path: Path, step: dict[str, str], column: str, message: str
) -> None:
    row = {"ticket_source_id": "T-1", "at": "2025-02-09T10:00:00+01:00"} | step
    found = problems(book_dir(tmp_path, ticket_history=[*STEPS, row]))
    assert re.search(message, only(found, f"^ticket_history.csv line 6, column {column}: ")), found


def test_a_history_step_of_an_unknown_ticket_or_out_of_time_order_is_refused(tmp_path: Path) -> None:
    stray = STEPS[0] | {"ticket_source_id": "T-404"}
    early = STEPS[1] | {"at": "2025-02-05T08:00:00+01:00"}
    found = problems(book_dir(tmp_path, ticket_history=[STEPS[0], early, *STEPS[2:], stray]))
    assert only(found, "'T-404' is no ticket of tickets.csv").startswith("ticket_history.csv line 6, column ticket_s")
    assert only(found, "before the step before it").startswith("ticket_history.csv line 3, column at")
    before_opening = STEPS[0] | {"at": "2025-02-05T09:00:00+01:00"}
    found = problems(book_dir(tmp_path, ticket_history=[before_opening]))
    assert "before the opening (tickets.csv line 2)" in only(found, "^ticket_history.csv line 2, column at")


def test_references_and_ids_are_checked_across_the_files(tmp_path: Path) -> None:
    found = problems(
        book_dir(
            tmp_path,
            resellers=[RESELLER, RESELLER],
            subscriptions=[SUBSCRIPTION | {"reseller_source_id": "R-9"}],
            tickets=[TICKET | {"reseller_source_id": "R-8"}],
        )
    )
    assert only(found, "already on line 2").startswith("resellers.csv line 3, column source_id")
    assert only(found, "'R-9' is no reseller").startswith("subscriptions.csv line 2, column reseller_source_id")
    assert only(found, "'R-8' is no reseller").startswith("tickets.csv line 2, column reseller_source_id")


def test_a_problem_is_reported_once_where_it_is_not_at_every_reference(tmp_path: Path) -> None:
    found = problems(book_dir(tmp_path, resellers=[RESELLER | {"country": "XX"}], tickets=[TICKET | {"severity": ""}]))
    assert [p.split(":")[0] for p in found] == [
        "resellers.csv line 2, column country",
        "tickets.csv line 2, column severity",
    ]


def test_bytes_that_are_not_utf8_or_a_nul_byte_refuse_the_file_naming_the_line(tmp_path: Path) -> None:
    good = "source_id,subject,severity,opened_at,reseller_source_id\n"
    found = problems(book_dir(tmp_path, tickets=good.encode() + b"T-1,Caf\xe9,B,2025-02-05T09:12:00Z,R-1\n"))
    assert only(found, "^tickets.csv").startswith("tickets.csv line 2: not UTF-8 (byte 0xe9)")
    found = problems(book_dir(tmp_path, tickets=good.encode() + b"T-1,Caf\x00,B,2025-02-05T09:12:00Z,R-1\n"))
    assert only(found, "^tickets.csv") == "tickets.csv line 2: holds a NUL byte: not a text file"


def test_a_record_of_another_width_or_broken_quoting_is_refused(tmp_path: Path) -> None:
    header = "source_id,subject,severity,opened_at,reseller_source_id\n"
    found = problems(book_dir(tmp_path, tickets=(header + "T-1,Backups fail,B\n").encode()))
    assert only(found, "^tickets.csv") == "tickets.csv line 2: 3 cells where the header has 5 columns"
    for broken in ('T-1,"Backups" fail,B,2025-02-05T09:12:00Z,R-1\n', 'T-1,"Backups fail,B,2025-02-05T09:12:00Z,R-1\n'):
        found = problems(book_dir(tmp_path, tickets=(header + broken).encode()))
        assert only(found, "^tickets.csv").startswith("tickets.csv line 2: not readable as CSV"), broken


def test_a_quoted_cell_over_several_lines_keeps_the_line_where_its_record_starts(tmp_path: Path) -> None:
    header = "source_id,subject,description,severity,opened_at,reseller_source_id\n"
    rows = 'T-1,One,"two\nlines",B,2025-02-05T09:12:00Z,R-1\nT-2,Two,,Z,2025-02-05T09:12:00Z,R-1\n'
    found = problems(book_dir(tmp_path, tickets=(header + rows).encode(), ticket_history=b"ticket_source_id,at,kind\n"))
    assert found == ["tickets.csv line 4, column severity: 'Z' is not one of A, B, C, D"]


def test_size_and_record_limits_refuse_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = book_dir(tmp_path)
    monkeypatch.setattr(csv_reading, "MAX_RECORDS", 3)
    assert only(problems(directory), "^ticket_history.csv") == (
        "ticket_history.csv line 5: more than 3 records: split the book"
    )
    monkeypatch.setattr(csv_reading, "MAX_FILE_BYTES", 200)
    assert only(problems(directory), "^ticket_history.csv") == "ticket_history.csv: more than 200 bytes: split the book"
    monkeypatch.setattr(csv_reading, "MAX_FILE_BYTES", 64 * 1024 * 1024)
    monkeypatch.setattr(csv_reading, "MAX_CELL_CHARS", 20)  # the headers fit, an instant does not
    assert only(problems(directory), "^ticket_history.csv").startswith("ticket_history.csv line 2: not readable as CSV")


def test_a_ticket_over_the_apis_step_or_size_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(book_files, "MAX_HISTORY_STEPS", 3)
    assert only(problems(book_dir(tmp_path)), "^tickets.csv") == (
        "tickets.csv line 2: 4 steps in ticket_history.csv: the import takes at most 3 per ticket"
    )
    monkeypatch.setattr(book_files, "MAX_BODY_BYTES", 500)
    assert "bytes as JSON with its history: at most 500 per request" in only(problems(tmp_path), "JSON")


def test_the_command_refuses_a_bad_book_with_exit_code_2_before_contacting_the_gateway(tmp_path: Path) -> None:
    directory = book_dir(tmp_path, subscriptions=[SUBSCRIPTION | {"started_at": "yesterday"}])
    out, err = io.StringIO(), io.StringIO()
    # Port 9 (discard) answers nothing: a contact would be a connection error (exit code 2 naming the gateway).
    code = command.main([str(directory), "--gateway-url", "http://127.0.0.1:9"], out=out, err=err)
    assert code == 2
    assert "the book cannot be imported; nothing was sent" in err.getvalue()
    assert "subscriptions.csv line 2, column started_at: 'yesterday' is not an instant" in err.getvalue()
    assert "nothing answers" not in err.getvalue()
    assert out.getvalue() == ""


def test_the_command_refuses_a_bad_source_name(tmp_path: Path) -> None:
    err = io.StringIO()
    assert command.main([str(book_dir(tmp_path)), "--source", "legacy erp"], out=io.StringIO(), err=err) == 2
    assert "--source" in err.getvalue()


def test_the_command_says_when_no_gateway_answers(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert command.main([str(book_dir(tmp_path)), "--gateway-url", "http://127.0.0.1:9"], out=out, err=err) == 2
    assert "nothing answers at http://127.0.0.1:9" in err.getvalue()
