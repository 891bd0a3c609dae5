"""Support's settings admin API: SLA calendars, their assignment to resellers, the SLA targets
(`bss.api.settings_routes`; docs/domain.md, "Support severities and SLA clocks"). Staff read; admins change."""

from __future__ import annotations

from bss.api.settings_routes import settings_router
from support_sla.usecases.settings import STORE, check_sla_setting_change

router = settings_router(STORE, guard=check_sla_setting_change)
