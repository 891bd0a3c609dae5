"""The trial policy becomes effective-dated data (`setting_versions`, kind `trial-policies`): per contract tier
product or `*`, changed through the admin API with an audit trail.

`SUBSCRIPTIONS_TRIAL_DAYS` and `SUBSCRIPTIONS_TRIAL_AUTO_CONVERT` seed `*` when the service starts on a database
that has no trial policy yet; existing subscriptions keep their trial end and auto-conversion.

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
