"""`CatalogRuntime`: the running catalog service's parts (`bss.runtime.Runtime`), typed with its settings."""

from __future__ import annotations

from typing import TypeAlias

from bss.runtime import Runtime
from catalog.settings import CatalogSettings

CatalogRuntime: TypeAlias = Runtime[CatalogSettings]
