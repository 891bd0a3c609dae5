"""The billing service's tables. Only this service reads or writes them."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from bss.db import new_metadata
from bss.messaging.tables import MessagingTables


class Base(DeclarativeBase):
    metadata = new_metadata()


messaging = MessagingTables.define(Base.metadata)
