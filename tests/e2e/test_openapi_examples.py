"""Every operation documents a description and a working example: this runs each example, in the order of
STORY, through the gateway against a freshly seeded suite and expects the status the operation documents.

A new operation without a step here fails `test_every_operation_has_a_step`; a missing description or example
fails `test_every_operation_is_documented`.
"""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio

from tests.e2e.conftest import Suite
from tests.e2e.openapi_examples import billing, catalog, gateway, subscriptions, support
from tests.e2e.openapi_examples.runner import ExampleRun, Step, documentation_gaps, uncovered

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

ORDER = (catalog, subscriptions, billing, support, gateway)
STORY: list[Step] = [
    *(step for module in ORDER for step in module.STEPS),
    *(step for module in reversed(ORDER) for step in module.LAST_STEPS),
]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def document(suite: Suite) -> dict[str, Any]:
    async with suite.client() as anonymous:
        answer = await anonymous.get("/openapi.json")
    assert answer.status_code == 200, answer.text
    merged: dict[str, Any] = answer.json()
    assert "unavailable right now" not in merged["info"]["description"], merged["info"]["description"]
    return merged


async def test_every_operation_is_documented(document: dict[str, Any]) -> None:
    gaps = documentation_gaps(document)
    assert not gaps, f"{len(gaps)} gaps:\n" + "\n".join(gaps)


async def test_every_operation_has_a_step(document: dict[str, Any]) -> None:
    missing, wrong = uncovered(document, STORY)
    assert not wrong, f"steps naming no operation, or run twice: {wrong}"
    assert not missing, f"{len(missing)} operations have no example step:\n" + "\n".join(missing)


async def test_every_example_answers_its_documented_status(suite: Suite, document: dict[str, Any]) -> None:
    run = ExampleRun(suite, document)
    for step in STORY:
        await run.run(step)
