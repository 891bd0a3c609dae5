"""`Annotated` dependencies: the runtime, the caller, a use case's context, and "load or 404" for path ids."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path

from bss.api import examples
from bss.api.backdating import resolve_instants
from bss.api.caller import CurrentCaller, require_roles, tenant_scope
from bss.api.runtime import get_runtime
from bss.identity import Caller, Role
from bss.usecase import UseCase
from subscriptions.runtime import SubscriptionsRuntime, SubscriptionsUseCase
from subscriptions.settings import SubscriptionsSettings
from subscriptions.usecases import queries
from subscriptions.usecases.records import SubscriptionRecord

RuntimeDep = Annotated[SubscriptionsRuntime, Depends(get_runtime)]
AdminOrReseller = Annotated[Caller, Depends(require_roles(Role.ADMIN, Role.RESELLER))]
StaffOrReseller = Annotated[Caller, Depends(require_roles(Role.ADMIN, Role.SUPPORT_AGENT, Role.RESELLER))]


def get_settings_dep(runtime: RuntimeDep) -> SubscriptionsSettings:
    return runtime.settings


Settings = Annotated[SubscriptionsSettings, Depends(get_settings_dep)]


def use_case(runtime: SubscriptionsRuntime, caller: Caller, requested_at: datetime | None) -> SubscriptionsUseCase:
    """The context a write use case runs with: who asks, and at which instants (an admin may backdate with
    `requested_at`; anyone else acts now). Routes without `requested_at` pass None."""
    return UseCase(runtime, caller, resolve_instants(caller, requested_at, runtime.clock.now()))


async def load_subscription(
    runtime: RuntimeDep,
    caller: CurrentCaller,
    # The example is the second example subscription: the examples of these routes convert, change, suspend and
    # cancel it, and leave the first one to the examples of billing and support.
    subscription_id: Annotated[
        str, Path(description="The subscription id.", max_length=36, examples=[examples.SECOND_SUBSCRIPTION_ID])
    ],
) -> SubscriptionRecord:
    """The subscription named in the path, or 404; a reseller only ever finds its own."""
    return await queries.find_subscription(runtime, subscription_id, tenant_scope(caller, None))


SubscriptionInPath = Annotated[SubscriptionRecord, Depends(load_subscription)]
