"""Support's SLA settings become effective-dated data (`setting_versions`): named business calendars
(`sla-calendars`), which calendar each reseller's tickets use (`sla-calendar-assignments`), and the targets per
severity (`sla-targets`), changed through the admin API with an audit trail.

The table starts empty: when the service starts on a database without these settings it seeds them from the
`SUPPORT_SLA_*` environment (a calendar named `default`, assigned to `*`) and the Acronis targets, effective from
1970-01-01 (`usecases/settings.py`, `seed_settings`). Tickets keep the policy snapshotted when they opened.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08 09:00:00
"""

from collections.abc import Sequence

from bss.effective_settings_ops import create_setting_versions_v1, drop_setting_versions_v1

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_setting_versions_v1()


def downgrade() -> None:
    drop_setting_versions_v1()
