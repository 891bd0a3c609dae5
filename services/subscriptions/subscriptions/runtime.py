"""`SubscriptionsRuntime`: the running service's parts (`bss.runtime.Runtime`), typed with its settings."""

from __future__ import annotations

from typing import TypeAlias

from bss.runtime import Runtime
from subscriptions.settings import SubscriptionsSettings

SubscriptionsRuntime: TypeAlias = Runtime[SubscriptionsSettings]
