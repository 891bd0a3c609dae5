"""Schema compatibility: the committed schemas match the code, and a breaking change is always caught."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from pydantic import BaseModel

from bss.events import schemagen, topics
from bss.events.compat import breaking_changes
from bss.events.contracts.billing import UsageRecordedV1
from bss.events.envelope import EventData
from bss.events.registry import ALL_CONTRACTS

by_name = pytest.mark.parametrize("contract", ALL_CONTRACTS, ids=lambda c: c.__name__)


def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(mode="serialization")


def only(problems: list[str]) -> str:
    assert len(problems) == 1, problems
    return problems[0]


# --- the committed files -----------------------------------------------------------------------------


def test_committed_schemas_and_asyncapi_equal_the_generated_ones() -> None:
    assert schemagen.check() == [], "run `python -m bss.events.schemagen` and commit the result"


@by_name
def test_committed_schema_has_no_breaking_change_against_the_code(contract: type[EventData]) -> None:
    path = schemagen.SCHEMA_DIR / schemagen.schema_filename(contract.event_type)
    committed = json.loads(path.read_text(encoding="utf-8"))

    assert breaking_changes(committed, schemagen.contract_schema(contract)) == []


def test_schemagen_check_fails_until_the_files_are_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schemagen, "PACKAGE_DIR", tmp_path)
    monkeypatch.setattr(schemagen, "SCHEMA_DIR", tmp_path / "schemas")
    monkeypatch.setattr(schemagen, "ASYNCAPI_PATH", tmp_path / "asyncapi.yaml")

    assert schemagen.main(["--check"]) == 1
    assert schemagen.main([]) == 0
    assert schemagen.main(["--check"]) == 0
    assert len(list((tmp_path / "schemas").glob("*.json"))) == len(ALL_CONTRACTS)


def test_schemagen_check_reports_an_edited_file_and_a_schema_without_contract(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schemagen, "PACKAGE_DIR", tmp_path)
    monkeypatch.setattr(schemagen, "SCHEMA_DIR", tmp_path / "schemas")
    monkeypatch.setattr(schemagen, "ASYNCAPI_PATH", tmp_path / "asyncapi.yaml")
    schemagen.write()
    edited = tmp_path / "schemas" / schemagen.schema_filename(UsageRecordedV1.event_type)
    edited.write_text(edited.read_text(encoding="utf-8").replace("reseller", "partner"), encoding="utf-8")
    stale = tmp_path / "schemas" / "bss.billing.Retired.v1.json"
    stale.write_text("{}", encoding="utf-8")

    problems = schemagen.check()

    assert problems == [
        f"schemas/{edited.name} is out of date",
        "schemas/bss.billing.Retired.v1.json has no contract",
    ]
    schemagen.write()
    assert schemagen.check() == []
    assert not stale.exists()


def test_asyncapi_has_a_channel_per_topic_a_message_per_contract_and_send_operations() -> None:
    document = yaml.safe_load(schemagen.ASYNCAPI_PATH.read_text(encoding="utf-8"))
    channels, messages = document["channels"], document["components"]["messages"]

    assert document["asyncapi"] == "3.0.0"
    assert {channel["address"] for channel in channels.values()} == {spec.name for spec in topics.TOPICS}
    assert set(messages) == {contract.__name__ for contract in ALL_CONTRACTS}
    for contract in ALL_CONTRACTS:
        message = messages[contract.__name__]
        data_ref = message["payload"]["allOf"][1]["properties"]["data"]["$ref"]
        assert (schemagen.PACKAGE_DIR / data_ref).is_file()
        assert message["name"] == contract.event_type
        assert message["headers"] == {"$ref": "#/components/schemas/CloudEventsKafkaHeaders"}
        assert message["examples"][0]["payload"]["type"] == contract.event_type
    sent = set()
    for operation in document["operations"].values():
        assert operation["action"] == "send"
        channel = operation["channel"]["$ref"].removeprefix("#/channels/")
        for ref in operation["messages"]:
            prefix, _, name = ref["$ref"].rpartition("/")
            assert prefix == f"#/channels/{channel}/messages"
            assert name in channels[channel]["messages"]
            sent.add(name)
    assert sent == set(messages)


# --- the checker, rule by rule -----------------------------------------------------------------------


class Line(BaseModel):
    sku: str
    amount: Decimal


class BaseV1(BaseModel):
    id: str
    kind: Literal["usage", "fee"]
    note: str | None = None
    on: date
    lines: tuple[Line, ...] = ()


def test_identical_schemas_have_no_breaking_change() -> None:
    assert breaking_changes(schema_of(BaseV1), schema_of(BaseV1)) == []


def test_an_added_optional_property_is_not_breaking() -> None:
    class Added(BaseV1):
        currency: str = "USD"
        comment: str | None = None

    assert breaking_changes(schema_of(BaseV1), schema_of(Added)) == []


def test_a_removed_property_is_breaking() -> None:
    new = schema_of(BaseV1)
    del new["properties"]["note"]

    assert only(breaking_changes(schema_of(BaseV1), new)) == "note: property removed"


def test_a_changed_property_type_is_breaking() -> None:
    class Changed(BaseV1):
        id: int  # type: ignore[assignment]

    assert only(breaking_changes(schema_of(BaseV1), schema_of(Changed))) == "id: type changed from string to integer"


def test_a_narrowed_property_type_is_breaking() -> None:
    class Narrowed(BaseV1):
        note: str = ""

    assert only(breaking_changes(schema_of(BaseV1), schema_of(Narrowed))) == (
        "note: type narrowed from null|string to string"
    )


def test_a_widened_property_type_is_not_breaking() -> None:
    class Widened(BaseV1):
        id: str | int  # type: ignore[assignment]

    assert breaking_changes(schema_of(BaseV1), schema_of(Widened)) == []


def test_a_changed_format_is_breaking() -> None:
    class Reformatted(BaseV1):
        on: datetime

    assert only(breaking_changes(schema_of(BaseV1), schema_of(Reformatted))) == (
        "on: string format changed from date to date-time"
    )


def test_a_new_required_property_without_default_is_breaking() -> None:
    class Required(BaseV1):
        currency: str

    assert only(breaking_changes(schema_of(BaseV1), schema_of(Required))) == (
        "currency: new required property without a default"
    )


def test_a_property_made_required_is_breaking() -> None:
    class MadeRequired(BaseV1):
        note: str | None

    assert only(breaking_changes(schema_of(BaseV1), schema_of(MadeRequired))) == "note: property made required"


def test_a_removed_enum_value_is_breaking() -> None:
    class Fewer(BaseV1):
        kind: Literal["usage"]

    assert only(breaking_changes(schema_of(BaseV1), schema_of(Fewer))) == 'kind: enum value "fee" removed'


def test_an_added_enum_value_is_not_breaking() -> None:
    class More(BaseV1):
        kind: Literal["usage", "fee", "adjustment"]  # type: ignore[assignment]

    assert breaking_changes(schema_of(BaseV1), schema_of(More)) == []


def test_restricting_a_free_string_to_literal_values_is_breaking() -> None:
    class Restricted(BaseV1):
        id: Literal["a", "b"]

    assert only(breaking_changes(schema_of(BaseV1), schema_of(Restricted))) == (
        'id: any string narrowed to the values "a", "b"'
    )


def test_a_breaking_change_in_a_nested_model_is_reported_with_its_path() -> None:
    class LineV2(BaseModel):
        sku: str

    class Nested(BaseV1):
        lines: tuple[LineV2, ...] = ()  # type: ignore[assignment]

    assert only(breaking_changes(schema_of(BaseV1), schema_of(Nested))) == "lines[].amount: property removed"


def test_a_breaking_change_behind_an_optional_nested_model_is_reported() -> None:
    class Holder(BaseModel):
        line: Line | None = None

    class LineV2(BaseModel):
        sku: int

    class HolderV2(BaseModel):
        line: LineV2 | None = None

    problems = breaking_changes(schema_of(Holder), schema_of(HolderV2))

    assert problems == ["line.amount: property removed", "line.sku: type changed from string to integer"]


def test_recursive_schemas_are_compared_without_looping() -> None:
    class Node(BaseModel):
        name: str
        children: list[Node] = []

    new = copy.deepcopy(schema_of(Node))
    del new["$defs"]["Node"]["properties"]["name"]

    assert breaking_changes(schema_of(Node), new) == ["name: property removed", "children[].name: property removed"]


def test_a_real_contract_loses_a_property_and_the_checker_says_so() -> None:
    old = schemagen.contract_schema(UsageRecordedV1)
    new = copy.deepcopy(old)
    del new["properties"]["quantity"]
    new["required"].remove("quantity")
    new["properties"]["sku"]["maxLength"] = 50

    assert breaking_changes(old, new) == ["quantity: property removed", "sku: maxLength lowered to 50"]
