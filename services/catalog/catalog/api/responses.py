"""Documented error responses shared by the catalog's routes."""

from __future__ import annotations

from typing import Any

from bss.problems import PROBLEM_JSON

_PROBLEM = {
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

READ: dict[int | str, dict[str, Any]] = {
    401: {"description": "No verified caller identity", "content": {PROBLEM_JSON: {}}},
    404: {"description": "No such resource", "content": {PROBLEM_JSON: {}}},
    422: {"description": "Invalid parameter (problem+json naming it)", "content": _PROBLEM},
}
WRITE: dict[int | str, dict[str, Any]] = {
    **READ,
    403: {"description": "Admins only (and only admins may backdate with requested_at)", "content": {PROBLEM_JSON: {}}},
    409: {
        "description": "Conflicts with the current state, or an Idempotency-Key reused with another body",
        "content": {PROBLEM_JSON: {}},
    },
}
