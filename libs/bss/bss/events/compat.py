"""Backward compatibility of event schemas: what a new version of a contract's JSON Schema breaks.

Within a version a contract may only grow: new optional properties (with defaults), wider types, new enum
values. Anything else would break a consumer reading events written under the other schema (a replay of
old events, or an older consumer of new ones), and needs a new contract class and type instead.
`breaking_changes` compares two JSON Schemas as pydantic generates them (`$ref`/`$defs`, `anyOf` for
optional values, `const`/`enum` for literals) and reports, with the path of the property:

- a property removed;
- a property's type changed or narrowed (incl. a format or string/number constraint narrowed);
- a new required property without a default;
- an existing property made required;
- an enum or literal value removed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

Schema = Mapping[str, Any]

_NUMERIC_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems")
_NUMERIC_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems")
_EXACT = ("format", "pattern", "multipleOf")


def breaking_changes(old_schema: dict[str, Any], new_schema: dict[str, Any]) -> list[str]:
    """Every change from `old_schema` to `new_schema` that breaks compatibility; empty when compatible."""
    comparison = _Comparison(old_root=old_schema, new_root=new_schema)
    comparison.compare(old_schema, new_schema, path="", ancestors=frozenset())
    return comparison.problems


@dataclass
class _Shape:
    """What a (sub)schema admits, flattened over `$ref` and `anyOf`/`oneOf` branches."""

    unconstrained: bool = False
    by_type: dict[str, list[Schema]] = field(default_factory=dict)
    literals: dict[str, Any] = field(default_factory=dict)

    def types(self) -> set[str]:
        return set(self.by_type) | {_json_type(value) for value in self.literals.values()}

    def admits_type(self, json_type: str) -> bool:
        return json_type in self.by_type or (json_type == "integer" and "number" in self.by_type)


@dataclass
class _Comparison:
    old_root: Schema
    new_root: Schema
    problems: list[str] = field(default_factory=list)

    def report(self, path: str, message: str) -> None:
        self.problems.append(f"{path or '<root>'}: {message}")

    def compare(self, old: Schema, new: Schema, *, path: str, ancestors: frozenset[tuple[int, int]]) -> None:
        old_shape, new_shape = _shape(old, self.old_root), _shape(new, self.new_root)
        key = (id(old), id(new))
        if key in ancestors:  # a recursive definition already being compared higher up
            return
        ancestors = ancestors | {key}
        if new_shape.unconstrained:
            return
        if old_shape.unconstrained:
            self.report(path, f"type narrowed from any value to {_names(new_shape.types())}")
            return
        self._compare_types(old_shape, new_shape, path)
        self._compare_literals(old_shape, new_shape, path)
        for json_type, old_branches in old_shape.by_type.items():
            new_branches = new_shape.by_type.get(json_type, [])
            if not new_branches and json_type == "integer":
                new_branches = new_shape.by_type.get("number", [])
            if not new_branches:
                continue
            if json_type == "object":
                self._compare_objects(old_branches, new_branches, path, ancestors)
            elif json_type == "array":
                self._compare_arrays(old_branches, new_branches, path, ancestors)
            else:
                self._compare_constraints(json_type, old_branches, new_branches, path)

    def _compare_types(self, old: _Shape, new: _Shape, path: str) -> None:
        lost = {t for t in old.by_type if not new.admits_type(t)}
        if not lost:
            return
        restricted = {t for t in lost if t in {_json_type(v) for v in new.literals.values()}}
        for json_type in sorted(restricted):
            values = sorted(k for k, v in new.literals.items() if _json_type(v) == json_type)
            self.report(path, f"any {json_type} narrowed to the values {', '.join(values)}")
        if lost - restricted:
            old_types, new_types = old.types(), new.types()
            verb = "narrowed" if new_types < old_types else "changed"
            self.report(path, f"type {verb} from {_names(old_types)} to {_names(new_types)}")

    def _compare_literals(self, old: _Shape, new: _Shape, path: str) -> None:
        for encoded, value in old.literals.items():
            if encoded not in new.literals and not new.admits_type(_json_type(value)):
                self.report(path, f"enum value {encoded} removed")

    def _compare_objects(
        self, old: list[Schema], new: list[Schema], path: str, ancestors: frozenset[tuple[int, int]]
    ) -> None:
        old_props, old_required = _merged_properties(old)
        new_props, new_required = _merged_properties(new)
        for name in old_props:
            if name not in new_props:
                self.report(_join(path, name), "property removed")
        for name, prop in new_props.items():
            has_default = "default" in _resolve(prop, self.new_root) or "default" in prop
            if name not in old_props:
                if name in new_required and not has_default:
                    self.report(_join(path, name), "new required property without a default")
                continue
            if name in new_required and name not in old_required and not has_default:
                self.report(_join(path, name), "property made required")
            self.compare(old_props[name], prop, path=_join(path, name), ancestors=ancestors)
        old_extra, new_extra = _additional(old), _additional(new)
        if old_extra is not False and new_extra is False:
            self.report(path, "additional properties no longer allowed")
        elif isinstance(old_extra, Mapping) and isinstance(new_extra, Mapping):
            self.compare(old_extra, new_extra, path=f"{path}{{*}}", ancestors=ancestors)

    def _compare_arrays(
        self, old: list[Schema], new: list[Schema], path: str, ancestors: frozenset[tuple[int, int]]
    ) -> None:
        old_items, new_items = _items(old), _items(new)
        if old_items is not None and new_items is not None:
            self.compare(old_items, new_items, path=f"{path}[]", ancestors=ancestors)
        elif new_items is not None:
            self.report(path, "array items narrowed from any value")
        self._compare_constraints("array", old, new, path)

    def _compare_constraints(self, json_type: str, old: list[Schema], new: list[Schema], path: str) -> None:
        if len(old) != 1 or len(new) != 1:
            return  # several branches of one type: their constraints cannot be paired reliably
        (before,), (after,) = old, new
        for keyword in _EXACT:
            if keyword in after and before.get(keyword) != after[keyword]:
                was = before.get(keyword, "none")
                self.report(path, f"{json_type} {keyword} changed from {was} to {after[keyword]}")
        for keyword in _NUMERIC_LOWER:
            if keyword in after and (keyword not in before or after[keyword] > before[keyword]):
                self.report(path, f"{keyword} raised to {after[keyword]}")
        for keyword in _NUMERIC_UPPER:
            if keyword in after and (keyword not in before or after[keyword] < before[keyword]):
                self.report(path, f"{keyword} lowered to {after[keyword]}")


def _shape(node: Schema, root: Schema) -> _Shape:
    shape = _Shape()
    for branch in _branches(node, root, seen=frozenset()):
        literals = _branch_literals(branch)
        if literals is not None:
            shape.literals.update({_encode(value): value for value in literals})
            continue
        types = _branch_types(branch)
        if types is None:
            shape.unconstrained = True
            continue
        for json_type in types:
            shape.by_type.setdefault(json_type, []).append(branch)
    return shape


def _branches(node: Schema, root: Schema, seen: frozenset[str]) -> Iterator[Schema]:
    """The alternatives a node admits, `$ref`s resolved and `anyOf`/`oneOf` flattened."""
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        if ref in seen:
            return
        yield from _branches(_resolve(node, root), root, seen | {ref})
        return
    alternatives = node.get("anyOf") or node.get("oneOf")
    if alternatives:
        for alternative in alternatives:
            yield from _branches(alternative, root, seen)
        return
    if node.get("allOf"):
        yield _merge_all_of(node, root)
        return
    yield node


def _resolve(node: Schema, root: Schema) -> Schema:
    """Follow a local `$ref` (`#/$defs/X`); a non-local one is left as is and compared literally."""
    ref = node.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return node
    target: Any = root
    for part in ref[2:].split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    merged: dict[str, Any] = dict(target)
    merged.update({k: v for k, v in node.items() if k != "$ref"})
    return merged


def _merge_all_of(node: Schema, root: Schema) -> Schema:
    merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
    properties: dict[str, Any] = dict(merged.get("properties", {}))
    required: list[str] = list(merged.get("required", []))
    for part in node["allOf"]:
        resolved = _resolve(part, root)
        properties.update(resolved.get("properties", {}))
        required += resolved.get("required", [])
        merged.update({k: v for k, v in resolved.items() if k not in {"properties", "required"}})
    if properties:
        merged["properties"], merged["required"] = properties, sorted(set(required))
    return merged


def _branch_literals(branch: Schema) -> list[Any] | None:
    if "const" in branch:
        return [branch["const"]]
    if "enum" in branch:
        return list(branch["enum"])
    return None


def _branch_types(branch: Schema) -> list[str] | None:
    declared = branch.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return [str(t) for t in declared]
    if "properties" in branch or "additionalProperties" in branch:
        return ["object"]
    if "items" in branch or "prefixItems" in branch:
        return ["array"]
    if "$ref" in branch:  # a non-local reference: compare it as an opaque type named by its target
        return [f"ref:{branch['$ref']}"]
    return None


def _merged_properties(branches: list[Schema]) -> tuple[dict[str, Schema], set[str]]:
    properties: dict[str, Schema] = {}
    required: set[str] = set()
    for branch in branches:
        properties.update(branch.get("properties", {}))
        required |= set(branch.get("required", []))
    return properties, required


def _additional(branches: list[Schema]) -> Schema | bool:
    values = [branch.get("additionalProperties", True) for branch in branches]
    schemas = [value for value in values if isinstance(value, Mapping)]
    if schemas:
        return schemas[0]
    return any(value is not False for value in values)


def _items(branches: list[Schema]) -> Schema | None:
    items = [branch["items"] for branch in branches if isinstance(branch.get("items"), Mapping)]
    if not items:
        return None
    return items[0] if len(items) == 1 else {"anyOf": items}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _encode(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _names(types: set[str]) -> str:
    return "|".join(sorted(types)) or "nothing"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
