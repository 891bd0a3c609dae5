"""Alembic environment of the billing service (the shared body lives in `bss.migrations`)."""

from alembic import context

from billing.models import Base
from billing.settings import get_settings
from bss.migrations import run_env

if not context.config.get_main_option("sqlalchemy.url"):
    context.config.set_main_option("sqlalchemy.url", get_settings().database_url.replace("%", "%%"))

run_env(Base.metadata)
