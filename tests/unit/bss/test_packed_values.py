"""`packed` refuses what would split wrongly in SQL rather than send it (bss/db.py)."""

from __future__ import annotations

import pytest

from bss.db import packed


def test_packed_values_are_joined_by_the_separator() -> None:
    assert packed(["0190c3a1-2001-7000-8000-000000000201", "1.5"]) == "0190c3a1-2001-7000-8000-000000000201,1.5"
    assert packed([]) == ""
    assert packed(["a", ""]) == "a,"


@pytest.mark.parametrize("values", [["a,b"], ["a", "b,"], [","], [""]])
def test_a_value_that_would_split_wrongly_is_refused(values: list[str]) -> None:
    with pytest.raises(ValueError, match="packed values"):
        packed(values)
