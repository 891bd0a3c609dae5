"""`Annotated` dependencies: the runtime, the caller, and "load or 404" for path ids (tenant-scoped)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from bss.api.caller import CurrentCaller, require_roles, tenant_scope
from bss.api.runtime import get_runtime
from bss.identity import Caller, Role
from subscriptions.errors import SubscriptionNotFound
from subscriptions.models import Subscription
from subscriptions.runtime import SubscriptionsRuntime
from subscriptions.settings import SubscriptionsSettings

RuntimeDep = Annotated[SubscriptionsRuntime, Depends(get_runtime)]
AdminOrReseller = Annotated[Caller, Depends(require_roles(Role.ADMIN, Role.RESELLER))]
StaffOrReseller = Annotated[Caller, Depends(require_roles(Role.ADMIN, Role.SUPPORT_AGENT, Role.RESELLER))]


def get_settings_dep(runtime: RuntimeDep) -> SubscriptionsSettings:
    return runtime.settings


Settings = Annotated[SubscriptionsSettings, Depends(get_settings_dep)]


async def load_subscription(
    runtime: RuntimeDep,
    caller: CurrentCaller,
    subscription_id: Annotated[str, Path(description="The subscription id.", max_length=36)],
) -> Subscription:
    """The subscription named in the path, or 404; a reseller only ever finds its own."""
    async with runtime.sessions() as session:
        subscription = await session.get(Subscription, subscription_id)
    if subscription is None:
        raise SubscriptionNotFound()
    scope = tenant_scope(caller, None)
    if scope is not None and subscription.reseller_id != scope:
        raise SubscriptionNotFound()
    return subscription


SubscriptionInPath = Annotated[Subscription, Depends(load_subscription)]
