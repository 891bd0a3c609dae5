"""`CatalogRuntime`: the running catalog service's parts (`bss.runtime.Runtime`), typed with its settings.

`CatalogUseCase` is what a catalog write use case runs with (`bss.usecase.UseCase`): this runtime, who asks and
at which instants.
"""

from __future__ import annotations

from typing import TypeAlias

from bss.runtime import Runtime
from bss.usecase import UseCase
from catalog.settings import CatalogSettings

CatalogRuntime: TypeAlias = Runtime[CatalogSettings]
CatalogUseCase: TypeAlias = UseCase[CatalogSettings]
