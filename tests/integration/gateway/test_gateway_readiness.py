"""The gateway's `/readyz` asks every service's: while one is not ready it answers 503 as a problem (like every
other error of the suite), naming the services that are not and keeping each one's state in `checks`."""

from __future__ import annotations

import httpx
import pytest

from bss.problems import PROBLEM_JSON, TYPE_BASE
from tests.harness.services import RunningServer

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_readiness_with_a_service_down_is_a_503_problem_naming_it(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url) as anonymous:
        answer = await anonymous.get("/readyz")
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON
    problem = answer.json()
    assert problem["type"] == TYPE_BASE + "service-unavailable"
    assert problem["status"] == 503
    assert problem["instance"] == "/readyz"
    # Nothing listens at subscriptions' address here; the echo upstream has no /readyz of its own.
    assert problem["checks"]["subscriptions"].startswith("unreachable")
    assert problem["checks"]["catalog"] == "not ready (404)"
    assert "subscriptions (unreachable" in problem["detail"]
