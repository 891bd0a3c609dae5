"""Cursor pagination: opaque cursors over a stable sort key, never offsets (rows move under offsets)."""

from __future__ import annotations

import base64
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from bss.problems import ValidationProblem, field_error

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` to get the next page; absent on the last page"
    )


def encode_cursor(key: list[Any]) -> str:
    """An opaque cursor for the sort key of the last item of a page."""
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":"), default=str).encode()).decode()


def decode_cursor(cursor: str | None) -> list[Any] | None:
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, json.JSONDecodeError) as exc:
        raise ValidationProblem(
            "The cursor is not one this API issued", errors=[field_error("cursor", "pass next_cursor as it came")]
        ) from exc
    if not isinstance(key, list):
        raise ValidationProblem("The cursor is not one this API issued", errors=[field_error("cursor", "invalid")])
    return key
