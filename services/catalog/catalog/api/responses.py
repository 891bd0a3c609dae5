"""The error responses the catalog's routes document: what their use cases answer, as problem+json.

401, 403, 409 for a reused Idempotency-Key and FastAPI's validation are documented from each route's
dependencies (bss.api.error_responses); routes name only what their own rules answer.
"""

from __future__ import annotations

from typing import Any

from bss.problems import PROBLEM_JSON

_INVALID_EXAMPLE = {
    PROBLEM_JSON: {
        "example": {
            "type": "https://bss.example/problems/validation-error",
            "title": "The request is not valid",
            "status": 422,
            "detail": "Fix these fields: amount",
            "errors": [{"field": "amount", "message": "Input should be greater than or equal to 0"}],
        }
    }
}
_DESCRIPTIONS = {
    404: "No such product or group (for a reseller: another tenant's prices)",
    409: "Taken already (a code, SKU or name) or done already (a deactivation)",
    422: "Invalid input or a broken catalog rule (problem+json naming the fields)",
}

NOT_MODIFIED: dict[int | str, dict[str, Any]] = {304: {"description": "Not modified: If-None-Match holds the ETag"}}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "description": _DESCRIPTIONS[status],
            "content": _INVALID_EXAMPLE if status == 422 else {PROBLEM_JSON: {}},
        }
        for status in statuses
    }
