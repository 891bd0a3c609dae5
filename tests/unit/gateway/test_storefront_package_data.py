"""The storefront's files ship in the gateway's wheel (each matches a package-data pattern), imports resolve."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from gateway.storefront_pages import STATIC_DIR

PACKAGE = STATIC_DIR.parents[1]  # gateway/gateway
PYPROJECT = PACKAGE.parent / "pyproject.toml"


def test_every_storefront_file_is_package_data() -> None:
    patterns = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["package-data"]["gateway"]
    files = [path for path in STATIC_DIR.rglob("*") if path.is_file()]
    assert len(files) >= 10
    missing = [
        str(path.relative_to(PACKAGE))
        for path in files
        if not any(Path(path.relative_to(PACKAGE)).match(pattern) for pattern in patterns)
    ]
    assert missing == [], f"add them to [tool.setuptools.package-data] in {PYPROJECT}"


def test_every_module_a_page_script_imports_is_shipped() -> None:
    for script in STATIC_DIR.glob("*.js"):
        for imported in re.findall(r'from "\./([^"]+)"', script.read_text()):
            assert (STATIC_DIR / imported).is_file(), f"{script.name} imports a missing {imported}"
