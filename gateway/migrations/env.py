"""Alembic environment of the gateway (the shared body lives in `bss.migrations`)."""

from alembic import context

from bss.migrations import run_env
from gateway.models import Base
from gateway.settings import get_settings

if not context.config.get_main_option("sqlalchemy.url"):
    context.config.set_main_option("sqlalchemy.url", get_settings().database_url.replace("%", "%%"))

run_env(Base.metadata)
