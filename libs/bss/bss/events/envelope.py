"""The CloudEvents 1.0 structured-JSON envelope every event of the suite travels in."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any, ClassVar, Literal, Self, TypeVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from uuid6 import uuid7

from bss.clock import ensure_utc

CONTENT_TYPE = "application/cloudevents+json"
EventDataT = TypeVar("EventDataT", bound="EventData")


class EventData(BaseModel):
    """Base of every event contract: frozen, and tolerant of fields a newer producer added.

    A contract class states its CloudEvents `type` (with version) and the topic it is published on.
    Within a version, changes are additive with defaults; a breaking change is a new class and type.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    topic: ClassVar[str]

    def subject(self) -> str:
        """The aggregate id: the Kafka key that keeps one aggregate's events in order."""
        raise NotImplementedError


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 envelope; `data` holds the contract's JSON."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    time: AwareDatetime
    subject: str | None = None
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]

    @field_validator("time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return ensure_utc(value)

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_json(cls, raw: bytes | str) -> Self:
        return cls.model_validate_json(raw)

    def payload(self, contract: builtins.type[EventDataT]) -> EventDataT:
        """The `data` read as the given contract (unknown extra fields ignored)."""
        if contract.event_type != self.type:
            raise ValueError(f"event {self.id} is {self.type}, not {contract.event_type}")
        return contract.model_validate(self.data)


def new_event_id() -> str:
    """A uuid7: unique for all time and ordered by creation, which keeps inbox indexes compact."""
    return str(uuid7())


def make_event(
    data: EventData,
    *,
    source: str,
    time: datetime,
    event_id: str | UUID | None = None,
) -> CloudEvent:
    """Wrap a contract in its envelope; `event_id` is the idempotency key, fresh unless given."""
    return CloudEvent(
        id=str(event_id) if event_id is not None else new_event_id(),
        source=source,
        type=data.event_type,
        time=time,
        subject=data.subject(),
        data=data.model_dump(mode="json"),
    )
