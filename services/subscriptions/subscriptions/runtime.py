"""`SubscriptionsRuntime`: the running service's parts (`bss.runtime.Runtime`), typed with its settings, and
`SubscriptionsUseCase`: what every write use case runs with (`bss.usecase.UseCase`)."""

from __future__ import annotations

from typing import TypeAlias

from bss.runtime import Runtime
from bss.usecase import UseCase
from subscriptions.settings import SubscriptionsSettings

SubscriptionsRuntime: TypeAlias = Runtime[SubscriptionsSettings]
SubscriptionsUseCase: TypeAlias = UseCase[SubscriptionsSettings]
