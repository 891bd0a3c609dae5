"""Debian's Chromium for the browser tests: present, or a skip that says how to get it (a failure in CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE = "BSS_REQUIRE_BROWSER"


def require_chromium(executable: Path = CHROMIUM) -> Path:
    """The browser to launch; skips the test without it, or fails it when BSS_REQUIRE_BROWSER=1 (CI)."""
    if executable.exists():
        return executable
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{REQUIRE}=1 but {executable} is missing: apt-get install -y chromium")
    pytest.skip(f"{executable} is missing (apt-get install -y chromium); {REQUIRE}=1 makes this a failure")
