"""Run an operation's documented example through the gateway and check it answers its documented status.

A `Step` names one operation of the gateway's merged OpenAPI document ("POST /api/v1/subscriptions/resellers").
The runner builds the call from the document alone: each path parameter, each query or header parameter that
carries an example, and the request body's example. Ids from the example world (bss.api.examples, a service's
api/examples.py) stand for objects that earlier examples made: a step `binds` an example id to a field of its
answer, and every later call has the example id replaced by the id the suite really assigned. The expected
status is the operation's first documented 2xx unless a step says otherwise.

What the document must hold is checked here too (`documentation_gaps`): a summary and a description, an
example for every path parameter, required query parameter and request body, and the problem+json schema on
every error answer.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from tests.e2e.conftest import Suite

METHODS = ("get", "put", "post", "delete", "patch")
PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class Step:
    """One operation's example: `operation` is "METHOD /path" as the merged document lists it."""

    operation: str
    # Example id (as the document writes it) -> dotted path of the answer's field holding the real id.
    binds: dict[str, str] = field(default_factory=dict)
    # Who calls: "admin", "reseller" (a key for the example reseller), "system", "storefront" or "anonymous".
    caller: str = "admin"
    # The documented status this example answers, when it is not the first documented 2xx (say why in a comment).
    status: int | None = None
    # The call depends on an event another service has not consumed yet: repeat it until it answers as documented.
    eventually: bool = False
    # Which of the body's named examples (`Body(openapi_examples=...)`) this step runs; None: the first. An operation
    # that documents several named examples may have one step for each.
    example: str | None = None
    # Fields the answer must hold (dotted path -> value, compared as parsed JSON), where the status alone does not
    # say the example did what it shows (a usage batch answers 200 whether its events are accepted or not). With
    # `eventually`, the call is repeated until they hold.
    expect: dict[str, Any] = field(default_factory=dict)


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    has_body: bool
    media_type: str = "application/json"


def operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every operation of the document by "METHOD /path"."""
    return {
        f"{method.upper()} {path}": operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = document["components"]["schemas"][name]
    return schema


_MISSING = object()


def example_of(document: dict[str, Any], holder: dict[str, Any]) -> Any:
    """The first example a parameter or media type documents (its own, or its schema's); _MISSING if none."""
    if "example" in holder:
        return holder["example"]
    if holder.get("examples"):
        examples = holder["examples"]
        if isinstance(examples, dict):
            first = next(iter(examples.values()))
            return first.get("value", _MISSING)
        return examples[0]
    schema = holder.get("schema")
    if isinstance(schema, dict):
        if schema.get("examples"):
            return schema["examples"][0]
        if "example" in schema:
            return schema["example"]
        resolved = resolve(document, schema) if "$ref" in schema else schema
        if resolved is not schema:
            return example_of(document, {"schema": resolved})
        for variant in schema.get("anyOf", []) + schema.get("allOf", []):
            found = example_of(document, {"schema": variant})
            if found is not _MISSING:
                return found
    return _MISSING


def documentation_gaps(document: dict[str, Any]) -> list[str]:
    """What an operation's documentation lacks, one line each."""
    gaps = []
    for name, operation in operations(document).items():
        if not operation.get("summary"):
            gaps.append(f"{name}: no summary")
        if not (operation.get("description") or "").strip():
            gaps.append(f"{name}: no description")
        for parameter in operation.get("parameters", []):
            needs = parameter["in"] == "path" or parameter.get("required")
            if needs and example_of(document, parameter) is _MISSING:
                gaps.append(f"{name}: no example for {parameter['in']} parameter {parameter['name']!r}")
        body = operation.get("requestBody")
        if body:
            media = next(iter(body["content"].values()))
            if example_of(document, media) is _MISSING:
                gaps.append(f"{name}: no request body example")
        for status, answer in operation.get("responses", {}).items():
            if status[0] in "45" and PROBLEM_JSON not in answer.get("content", {}):
                gaps.append(f"{name}: the {status} answer has no {PROBLEM_JSON} schema")
    return gaps


def call_for(document: dict[str, Any], name: str, operation: dict[str, Any], example: str | None = None) -> Call:
    method, path = name.split(" ", 1)
    query: dict[str, str] = {}
    headers: dict[str, str] = {}
    for parameter in operation.get("parameters", []):
        value = example_of(document, parameter)
        if value is _MISSING:
            continue
        text = value if isinstance(value, str) else json.dumps(value)
        if isinstance(value, bool):
            text = "true" if value else "false"
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", text)
        elif parameter["in"] == "query":
            query[parameter["name"]] = text
        elif parameter["in"] == "header":
            headers[parameter["name"]] = text
    body = operation.get("requestBody")
    payload: Any = None
    media_type = "application/json"
    if body:
        media_type, media = next(iter(body["content"].items()))
        if example is None:
            payload = example_of(document, media)
        else:
            assert example in media.get("examples", {}), f"{name}: no body example named {example!r}"
            payload = media["examples"][example]["value"]
    return Call(method, path, query, headers, payload, bool(body), media_type)


def expected_status(operation: dict[str, Any]) -> int:
    documented = sorted(int(status) for status in operation["responses"] if status.startswith("2"))
    assert documented, "no 2xx answer is documented"
    return documented[0]


def value_at(answer: Any, dotted: str) -> Any:
    value = answer
    for part in dotted.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def field_at(answer: Any, dotted: str) -> str:
    return str(value_at(answer, dotted))


def unmet(answer: httpx.Response, expect: dict[str, Any]) -> dict[str, Any]:
    """The expected fields the answer does not hold, with what it holds instead (a missing field: `_MISSING`)."""
    if not expect:
        return {}
    try:
        found = answer.json()
    except ValueError:
        return dict.fromkeys(expect, _MISSING)
    wrong = {}
    for dotted, value in expect.items():
        try:
            held = value_at(found, dotted)
        except (KeyError, IndexError, TypeError, ValueError):
            held = _MISSING
        if held != value:
            wrong[dotted] = held
    return wrong


class ExampleRun:
    """Runs steps in order against one suite, keeping the example ids bound so far."""

    def __init__(self, suite: Suite, document: dict[str, Any]) -> None:
        self.suite = suite
        self.document = document
        self.operations = operations(document)
        self.bound: dict[str, str] = {}
        self.keys: dict[str, str] = {}

    def substitute(self, text: str) -> str:
        for example, real in self.bound.items():
            text = text.replace(example, real)
        return text

    async def key(self, caller: str) -> str | None:
        from bss.api import examples

        if caller == "anonymous":
            return None
        if caller == "admin":
            from tests.e2e.conftest import ADMIN_KEY

            return ADMIN_KEY
        if caller not in self.keys:
            tenant = self.bound.get(examples.RESELLER_ID) if caller == "reseller" else None
            assert caller != "reseller" or tenant, "a reseller's example runs before the reseller example"
            self.keys[caller] = await self.suite.key_for(caller, tenant)
        return self.keys[caller]

    async def run(self, step: Step) -> httpx.Response:
        operation = self.operations.get(step.operation)
        assert operation is not None, f"{step.operation} is not in the document"
        call = call_for(self.document, step.operation, operation, step.example)
        status = step.status or expected_status(operation)
        assert str(status) in operation["responses"], f"{step.operation}: {status} is not documented"
        path = self.substitute(call.path)
        path = "/".join(quote(part, safe=":@!$&'()*+,;=-._~") for part in path.split("/"))
        # A JSON body is sent as JSON; another (a CSV report) is its example's text as it stands.
        text = call.body if call.media_type != "application/json" and isinstance(call.body, str) else None
        body = json.dumps(call.body) if text is None else text
        content = self.substitute(body).encode() if call.has_body else None
        headers = {name: self.substitute(value) for name, value in call.headers.items()}
        if content is not None:
            headers["Content-Type"] = call.media_type
        query = {name: self.substitute(value) for name, value in call.query.items()}
        async with self.suite.client(await self.key(step.caller)) as client:
            deadline = asyncio.get_running_loop().time() + (30 if step.eventually else 0)
            while True:
                answer = await client.request(call.method, path, params=query, content=content, headers=headers)
                done = answer.status_code == status and not unmet(answer, step.expect)
                if done or asyncio.get_running_loop().time() >= deadline:
                    break
                await asyncio.sleep(0.1)
        assert answer.status_code == status, (
            f"{step.operation} -> {call.method} {path}?{query} answered {answer.status_code}, documented "
            f"{status}: {answer.text[:2000]}"
        )
        wrong = unmet(answer, step.expect)
        assert not wrong, f"{step.operation}: the answer holds {wrong}, expected {step.expect}: {answer.text[:2000]}"
        if step.binds:
            found = answer.json()
            for example, dotted in step.binds.items():
                self.bound[example] = field_at(found, dotted)
        return answer


def uncovered(document: dict[str, Any], steps: Iterable[Step]) -> tuple[list[str], list[str]]:
    """(operations no step runs, steps run more than once or naming no operation).

    An operation runs once, or once per named body example its steps choose (`Step.example`)."""
    runs = [(step.operation, step.example) for step in steps]
    names = [name for name, _ in runs]
    known = set(operations(document))
    missing = sorted(known - set(names))
    twice = {name for name, example in runs if runs.count((name, example)) > 1}
    unnamed = {name for name, example in runs if example is None and names.count(name) > 1}
    wrong = sorted({name for name in names if name not in known} | twice | unnamed)
    return missing, wrong
