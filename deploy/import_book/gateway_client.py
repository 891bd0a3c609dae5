"""The import's calls through the gateway, with an admin key: who the key is, the two imports, and whether support
knows a reseller yet. Answers are checked before they are used; a rate limit (429) is waited out.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

BOOK_IMPORT = "/api/v1/subscriptions/imports/book"
TICKET_IMPORT = "/api/v1/support/imports/tickets"
SUPPORT_RESELLER = "/api/v1/support/resellers/{reseller_id}"
RETRIES = 8
MAX_RETRY_WAIT_S = 10.0


class SetupProblem(Exception):
    """The import cannot start: no gateway answers, or the key is not an admin's."""


class SuiteProblem(Exception):
    """The suite answered something the import cannot go on with (lines sent before it stay imported)."""


class RequestRefused(Exception):
    """A whole request refused (422: malformed or over a limit); nothing of it was written. `errors` are the
    problem's field errors (`resellers.3.billing_email`, ...)."""

    def __init__(self, path: str, problem: dict[str, Any]) -> None:
        super().__init__(problem_text(problem))
        self.path = path
        self.errors = [e for e in problem.get("errors", []) if isinstance(e, dict)]


class Gateway:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def check_admin(self) -> None:
        """The gateway answers and the key is an admin's."""
        response = await self._send("GET", "/gateway/v1/me", starting=True)
        if response.status_code == 401:
            raise SetupProblem("the gateway refused the admin key (--admin-key, or BSS_IMPORT_ADMIN_KEY)")
        body = _json(response, 200, "read who the admin key is")
        if body.get("role") != "admin":
            raise SetupProblem(f"the key is a {body.get('role')!r} key: the imports need an admin key")

    async def import_book(self, body: dict[str, Any], *, dry_run: bool) -> dict[str, Any]:
        return await self._import(BOOK_IMPORT, body, dry_run)

    async def import_tickets(self, body: dict[str, Any], *, dry_run: bool) -> dict[str, Any]:
        return await self._import(TICKET_IMPORT, body, dry_run)

    async def support_knows(self, reseller_id: str) -> bool:
        """Whether support has learned the reseller yet (from subscriptions' events)."""
        response = await self._send("GET", SUPPORT_RESELLER.format(reseller_id=reseller_id))
        if response.status_code == 404:
            return False
        _json(response, 200, "ask support whether it knows a reseller")
        return True

    async def _import(self, path: str, body: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        response = await self._send("POST", path, json=body, params={"dry_run": "true" if dry_run else "false"})
        if response.status_code == 422:
            raise RequestRefused(path, _problem(response))
        if response.status_code == 504:
            raise SuiteProblem(
                f"{path}: the gateway stopped waiting for the answer (504; GATEWAY_UPSTREAM_TIMEOUT_S) while the "
                "service may still be importing that request. Wait until it is done (its log says when), then run "
                "the import again: the lines it finished will be unchanged"
            )
        answer = _json(response, 200, f"import through {path}")
        if not isinstance(answer.get("lines"), list):
            raise SuiteProblem(f"{path} answered without its lines")
        return answer

    async def _send(self, method: str, path: str, *, starting: bool = False, **kwargs: Any) -> httpx.Response:
        """The answer, once no rate limit holds it back. No answer at all is a `SetupProblem` when `starting`
        (nothing was sent yet), else a `SuiteProblem`."""
        for _ in range(RETRIES):
            try:
                response = await self.client.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                if starting:
                    raise SetupProblem(
                        f"nothing answers at {self.client.base_url} ({type(exc).__name__}): start the suite "
                        "(make run) or give its gateway with --gateway-url"
                    ) from exc
                raise SuiteProblem(
                    f"{method} {path}: {type(exc).__name__} {exc}. What was imported before stays imported; run the "
                    "import again to finish it (those lines will be unchanged)"
                ) from exc
            if response.status_code != 429:
                return response
            await asyncio.sleep(_retry_after(response))
        raise SuiteProblem(f"{method} {path}: still rate limited after {RETRIES} tries")


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(max(float(response.headers.get("Retry-After", "1")), 0.1), MAX_RETRY_WAIT_S)
    except ValueError:
        return 1.0


def _json(response: httpx.Response, status: int, doing: str) -> dict[str, Any]:
    if response.status_code != status:
        raise SuiteProblem(
            f"{doing}: HTTP {response.status_code} from {response.request.url.path}: {problem_text(_problem(response))}"
        )
    try:
        body = response.json()
    except ValueError as exc:
        raise SuiteProblem(f"{doing}: the answer is not JSON") from exc
    if not isinstance(body, dict):
        raise SuiteProblem(f"{doing}: the answer is not a JSON object")
    return body


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"detail": response.text[:300]}
    return body if isinstance(body, dict) else {"detail": str(body)[:300]}


def problem_text(problem: object) -> str:
    """An RFC 9457 problem in one line: status, title, detail, its rule codes, and the field errors the detail does
    not already say (control characters replaced: the text is shown on a terminal)."""
    if not isinstance(problem, dict) or not problem:
        return ""
    words = " - ".join(str(problem[key]) for key in ("title", "detail") if problem.get(key))
    text = f"{problem['status']} {words}" if problem.get("status") is not None else words
    rules = problem.get("rules")
    if isinstance(rules, list) and rules:
        text += f" [{', '.join(str(rule) for rule in rules)}]"
    for error in problem.get("errors") or []:
        if isinstance(error, dict) and str(error.get("message", "")) not in text:
            text += f"; {error.get('field')}: {error.get('message')}"
    return printable(text)


def printable(text: str) -> str:
    """Text fit for a terminal: control characters (escape sequences included) shown as '?'."""
    return "".join("?" if (ord(c) < 32 or 127 <= ord(c) < 160) else c for c in text)
