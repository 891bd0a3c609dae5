"""Ticket text through the real service: control characters are refused with a 422, tabs and lines in bodies kept."""

from __future__ import annotations

import pytest

from tests.harness.identity import ADMIN, SUPPORT_AGENT, reseller
from tests.integration.support_sla.harness import Service

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def ticket_count(service: Service) -> int:
    return len((await service.call("GET", "/v1/tickets?limit=200", ADMIN)).json()["items"])


async def test_a_nul_in_a_ticket_subject_is_a_422_naming_the_subject_and_no_ticket_is_opened(service: Service) -> None:
    rid = await service.new_reseller()
    before = await ticket_count(service)
    body = {"subject": "Backups\u0000fail", "description": "d", "product": "Cyber Protect", "severity": "B"}
    response = await service.call("POST", "/v1/tickets", reseller(rid), json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    (error,) = response.json()["errors"]
    assert error["field"] == "subject"
    assert "NUL (U+0000 at position 7)" in error["message"]
    assert await ticket_count(service) == before


async def test_a_line_break_in_a_subject_is_refused_but_tabs_and_lines_in_a_message_body_are_kept(
    service: Service,
) -> None:
    rid = await service.new_reseller()
    broken = {"subject": "Backups\nfail", "description": "d", "product": "Cyber Protect", "severity": "B"}
    assert (await service.call("POST", "/v1/tickets", reseller(rid), json=broken)).status_code == 422
    ticket = await service.open_ticket(rid, "B", description="Since Monday:\n\tjob 1\r\n\tjob 2")
    text = "Please run:\n\tacrocmd backup\n\tacrocmd verify"
    reply = await service.call("POST", f"/v1/tickets/{ticket['id']}/messages", SUPPORT_AGENT, json={"body": text})
    assert reply.status_code == 201, reply.text
    history = (await service.call("GET", f"/v1/tickets/{ticket['id']}/events", reseller(rid))).json()
    assert text in [event["body"] for event in history]
    assert ticket["description"] == "Since Monday:\n\tjob 1\r\n\tjob 2"


async def test_an_escape_sequence_in_a_message_body_is_refused(service: Service) -> None:
    rid = await service.new_reseller()
    ticket = await service.open_ticket(rid, "C")
    path = f"/v1/tickets/{ticket['id']}/messages"
    response = await service.call("POST", path, SUPPORT_AGENT, json={"body": "\u001b[31mred\u001b[0m"})
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert "a control character (U+001B at position 0)" in error["message"]
