"""Sending a book (deploy/import_book/importer.py) against a scripted gateway: the book's ids reach the tickets,
tickets wait for support to know their resellers, each answer line is placed back in the files, and the exit code
and summary say what was not imported."""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from deploy.import_book.book_files import Book, read_book
from deploy.import_book.chunks import Outgoing, book_chunks, ticket_chunks
from deploy.import_book.gateway_client import BOOK_IMPORT, TICKET_IMPORT, Gateway, SetupProblem
from deploy.import_book.importer import Options, RequestInvalid, import_book
from deploy.import_book.outcome import Outcome
from deploy.import_book.summary import summary_text
from tests.unit.deploy.test_import_book_files import NOW, RESELLER, STEPS, SUBSCRIPTION, TICKET, book_dir

R2 = RESELLER | {"source_id": "R-2", "tax_id": "", "legal_name": "Südwind GmbH"}
S2 = SUBSCRIPTION | {"source_id": "S-2", "reseller_source_id": "R-2"}
T2 = TICKET | {"source_id": "T-2", "reseller_source_id": "R-2"}


def reseller_id(source_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, source_id))


@dataclass
class ScriptedSuite:
    """What the gateway answers: every line created (unchanged once created), except what the script refuses."""

    role: str = "admin"
    refused: set[str] = field(default_factory=set)
    support_learns_after: int = 2
    """Support answers 404 for a reseller this many times before it knows it (it learns from events)."""
    whole_request_problem: dict[str, Any] | None = None
    rate_limited: int = 0
    imported: set[str] = field(default_factory=set)
    asked: dict[str, int] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, Any], bool]] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.rate_limited:
            self.rate_limited -= 1
            return httpx.Response(429, headers={"Retry-After": "0"}, json={"status": 429})
        path = request.url.path
        if path == "/gateway/v1/me":
            return httpx.Response(200 if self.role else 401, json={"role": self.role})
        if path.startswith("/api/v1/support/resellers/"):
            known = path.rsplit("/", 1)[1]
            self.asked[known] = self.asked.get(known, 0) + 1
            learned = known in {reseller_id(s) for s in self.imported}
            return httpx.Response(200 if learned and self.asked[known] > self.support_learns_after else 404, json={})
        body, dry_run = json.loads(request.content), request.url.params["dry_run"] == "true"
        self.requests.append((path, body, dry_run))
        if self.whole_request_problem is not None:
            return httpx.Response(422, json=self.whole_request_problem)
        if path == BOOK_IMPORT:
            lines = [self._line("reseller", i, r, dry_run) for i, r in enumerate(body["resellers"])]
            lines += [self._line("subscription", i, s, dry_run) for i, s in enumerate(body["subscriptions"])]
            return httpx.Response(200, json={"lines": lines})
        assert path == TICKET_IMPORT
        return httpx.Response(200, json={"lines": [self._ticket(i, t) for i, t in enumerate(body["tickets"])]})

    def _line(self, kind: str, index: int, line: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        source_id = line["source_id"]
        if source_id in self.refused:
            problem = {"status": 422, "title": "The request breaks a business rule", "detail": "Not orderable.",
                       "rules": ["product_not_orderable"]}  # fmt: skip
            return {"kind": kind, "index": index, "source_id": source_id, "status": "refused", "id": None,
                    "fields": [], "problem": problem}  # fmt: skip
        status = "unchanged" if source_id in self.imported else "created"
        if not dry_run:
            self.imported.add(source_id)
        return {"kind": kind, "index": index, "source_id": source_id, "status": status,
                "id": reseller_id(source_id), "fields": [], "problem": None}  # fmt: skip

    def _ticket(self, index: int, ticket: dict[str, Any]) -> dict[str, Any]:
        line = {"index": index, "source": ticket["source"], "source_id": ticket["source_id"],
                "ticket_id": str(uuid.uuid4()), "status": "created", "problem": None}  # fmt: skip
        if ticket["source_id"] in self.refused:
            problem = {
                "type": "ticket-state-conflict",
                "title": "Not possible in the ticket's state",
                "status": 409,
                "detail": "history.2: The ticket is resolved.",
                "errors": [{"field": "history.2", "message": "The ticket is resolved."}],
            }
            line |= {"status": "refused", "ticket_id": None, "problem": problem}
        return line


@pytest.fixture
def book(tmp_path: Path) -> Book:
    return read_book(
        book_dir(
            tmp_path,
            resellers=[RESELLER, R2],
            subscriptions=[SUBSCRIPTION, S2],
            tickets=[TICKET, T2],
            ticket_history=STEPS,
        ),
        NOW,
    )


@pytest.fixture
def suite() -> ScriptedSuite:
    return ScriptedSuite()


@pytest.fixture
def gateway(suite: ScriptedSuite) -> Gateway:
    return Gateway(httpx.AsyncClient(base_url="http://gateway.test", transport=httpx.MockTransport(suite)))


async def run(gateway: Gateway, book: Book, *, dry_run: bool = False, wait_s: float = 5.0) -> Outcome:
    await gateway.check_admin()
    outcome = Outcome(source="legacy", dry_run=dry_run)
    return await import_book(gateway, book, Options("legacy", dry_run, wait_s), outcome, progress=io.StringIO())


def verdicts(outcome: Outcome) -> dict[str, tuple[str, str]]:
    return {line.source_id: (line.status, line.where) for line in outcome.lines}


@pytest.mark.asyncio
async def test_tickets_go_with_the_ids_the_book_gave_once_support_knows_their_resellers(
    gateway: Gateway, book: Book, suite: ScriptedSuite
) -> None:
    outcome = await run(gateway, book)
    assert verdicts(outcome) == {
        "R-1": ("created", "resellers.csv line 2"),
        "R-2": ("created", "resellers.csv line 3"),
        "S-1": ("created", "subscriptions.csv line 2"),
        "S-2": ("created", "subscriptions.csv line 3"),
        "T-1": ("created", "tickets.csv line 2"),
        "T-2": ("created", "tickets.csv line 4"),
    }
    [(_, book_body, _), (_, tickets_body, _)] = suite.requests
    assert [s["reseller_source_id"] for s in book_body["subscriptions"]] == ["R-1", "R-2"]
    assert book_body["source"] == "legacy"
    assert {t["source_id"]: t["reseller_id"] for t in tickets_body["tickets"]} == {
        "T-1": reseller_id("R-1"),
        "T-2": reseller_id("R-2"),
    }
    assert {t["source"] for t in tickets_body["tickets"]} == {"legacy"}
    assert suite.asked == {reseller_id("R-1"): 3, reseller_id("R-2"): 3}  # asked until support knew
    assert outcome.exit_code == 0
    again = await run(gateway, book)
    assert {line.status for line in again.lines if line.kind != "ticket"} == {"unchanged"}


@pytest.mark.asyncio
async def test_a_refused_line_is_listed_with_its_place_and_its_resellers_tickets_are_not_sent(
    gateway: Gateway, book: Book, suite: ScriptedSuite
) -> None:
    suite.refused = {"R-2", "T-1"}
    outcome = await run(gateway, book)
    assert verdicts(outcome)["R-2"] == ("refused", "resellers.csv line 3")
    assert verdicts(outcome)["T-1"] == ("refused", "ticket_history.csv line 4")  # history.2 is the third step
    assert verdicts(outcome)["T-2"] == ("not_sent", "tickets.csv line 4")
    assert outcome.exit_code == 1
    text = summary_text(outcome, "http://gateway.test")
    assert "  reseller R-2 refused (resellers.csv line 3): 422 The request breaks a business rule - Not orderable. " \
           "[product_not_orderable]" in text  # fmt: skip
    assert "ticket T-2 not_sent (tickets.csv line 4): its reseller R-2 was refused" in text
    assert "Done: some lines were not imported (exit code 1)." in text
    table = [line.split() for line in text.splitlines() if line.split()[:1] in (["resellers"], ["tickets"])]
    assert table == [["resellers", "1", "0", "0", "0", "1", "-"], ["tickets", "0", "-", "0", "0", "1", "1"]]


@pytest.mark.asyncio
async def test_a_dry_run_sends_no_ticket_of_a_new_reseller_and_that_is_no_failure(
    gateway: Gateway, book: Book, suite: ScriptedSuite
) -> None:
    outcome = await run(gateway, book, dry_run=True)
    assert {line.status for line in outcome.lines if line.kind == "ticket"} == {"not_sent"}
    assert [path for path, _, _ in suite.requests] == [BOOK_IMPORT]
    assert suite.requests[0][2] is True  # ?dry_run=true
    assert outcome.exit_code == 0
    assert "2 tickets not checked: their resellers are new" in summary_text(outcome, "http://gateway.test")
    await run(gateway, book)
    checked = await run(gateway, book, dry_run=True)  # now the resellers exist: the tickets are checked too
    assert suite.requests[-1][0] == TICKET_IMPORT
    assert suite.requests[-1][2] is True
    assert checked.exit_code == 0


@pytest.mark.asyncio
async def test_tickets_of_a_reseller_support_never_learns_are_not_sent(
    gateway: Gateway, book: Book, suite: ScriptedSuite
) -> None:
    suite.support_learns_after = 10**6
    outcome = await run(gateway, book, wait_s=0.3)
    assert {line.status for line in outcome.lines if line.kind == "ticket"} == {"not_sent"}
    assert "support did not learn reseller" in (outcome.lines[-1].reason or "")
    assert outcome.exit_code == 1


@pytest.mark.asyncio
async def test_a_whole_request_refused_as_malformed_names_the_lines_in_the_files(
    gateway: Gateway, book: Book, suite: ScriptedSuite
) -> None:
    suite.whole_request_problem = {
        "status": 422,
        "title": "Invalid request",
        "errors": [
            {"field": "resellers.1.billing_address.city", "message": "too long"},
            {"field": "subscriptions.0.product", "message": "bad"},
            {"field": "source", "message": "bad source"},
        ],
    }
    with pytest.raises(RequestInvalid) as refused:
        await run(gateway, book)
    assert refused.value.problems == [
        "resellers.csv line 3 (billing_address.city): too long",
        "subscriptions.csv line 2 (product): bad",
        "the book import refused a request (source): bad source",
    ]


@pytest.mark.asyncio
async def test_a_key_that_is_not_an_admins_is_a_setup_problem(gateway: Gateway, suite: ScriptedSuite) -> None:
    suite.role = "reseller"
    with pytest.raises(SetupProblem, match="'reseller' key"):
        await gateway.check_admin()
    suite.role = ""
    with pytest.raises(SetupProblem, match="refused the admin key"):
        await gateway.check_admin()


@pytest.mark.asyncio
async def test_a_rate_limit_is_waited_out(gateway: Gateway, book: Book, suite: ScriptedSuite) -> None:
    suite.rate_limited = 3
    assert (await run(gateway, book)).exit_code == 0


def test_each_reseller_goes_in_the_same_request_as_its_subscriptions(book: Book) -> None:
    def lines(limit: int) -> list[tuple[list[str], list[str]]]:
        chunks = book_chunks(book.resellers, book.subscriptions, limit=limit)
        return [([r.source_id for r in c.resellers], [s.source_id for s in c.subscriptions]) for c in chunks]

    assert lines(3) == [(["R-1"], ["S-1"]), (["R-2"], ["S-2"])]  # R-2 and S-1 would fit, but not S-2 with them
    assert lines(2000) == [(["R-1", "R-2"], ["S-1", "S-2"])]
    assert lines(1) == [(["R-1"], []), ([], ["S-1"]), (["R-2"], []), ([], ["S-2"])]  # a group over the limit is cut


def test_ticket_requests_keep_within_the_ticket_and_step_limits(book: Book) -> None:
    outgoing = [Outgoing(ticket, ticket.body) for ticket in book.tickets * 5]  # T-1 has 4 steps, T-2 none
    assert [len(chunk) for chunk in ticket_chunks(outgoing, limit=3, step_limit=100)] == [3, 3, 3, 1]
    assert [sum(o.steps for o in chunk) for chunk in ticket_chunks(outgoing, limit=100, step_limit=8)] == [8, 8, 4]
