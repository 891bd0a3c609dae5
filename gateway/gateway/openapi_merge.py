"""One OpenAPI document for the whole suite: every service's operations under its gateway prefix.

Paths `/v1/x` of service `s` become `/api/v1/s/x`; component schemas are renamed `s__Name` (two services
may both have a `ProductRead`) with every `$ref` rewritten; tags are prefixed with the service; operation
ids are made unique. A service that is down is listed as unavailable instead of failing the whole page.
"""

from __future__ import annotations

import copy
from typing import Any

REF_PREFIX = "#/components/schemas/"


def merge_openapi(
    documents: dict[str, dict[str, Any] | None],
    *,
    title: str,
    version: str,
    gateway_document: dict[str, Any],
    security_schemes: dict[str, Any],
    public_paths: tuple[str, ...] = (),
    optional_auth_prefixes: tuple[str, ...] = (),
) -> dict[str, Any]:
    """One document: the gateway's own operations, then every available service's under its prefix.

    Operations in `public_paths` need no credentials; those under `optional_auth_prefixes` accept a call
    with or without them (the storefront's public catalog reads).
    """
    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": _description(documents)},
        "paths": copy.deepcopy(gateway_document.get("paths", {})),
        "components": {
            "schemas": dict(gateway_document.get("components", {}).get("schemas", {})),
            "securitySchemes": security_schemes,
        },
        "tags": [],
        "security": [{name: []} for name in security_schemes],
    }
    for service, document in documents.items():
        if document is None:
            continue
        renamed = _rename_schemas(document, service)
        for path, item in renamed.get("paths", {}).items():
            if not path.startswith("/v1/"):
                continue  # health and metrics stay internal
            merged["paths"][f"/api/v1/{service}{path[3:]}"] = _prefix_operations(item, service)
        merged["components"]["schemas"].update(renamed.get("components", {}).get("schemas", {}))
        for tag in renamed.get("tags", []):
            merged["tags"].append({**tag, "name": f"{service}: {tag['name']}"})
    optional = [{}, *merged["security"]]
    for path, item in merged["paths"].items():
        if path in public_paths:
            _set_security(item, [])
        elif path.startswith(optional_auth_prefixes):
            _set_security(item, optional)
    return merged


def _set_security(item: dict[str, Any], security: list[dict[str, Any]]) -> None:
    for operation in item.values():
        if isinstance(operation, dict):
            operation["security"] = security


def _description(documents: dict[str, dict[str, Any] | None]) -> str:
    lines = [
        "Every service of the BSS suite behind one entry. Authenticate with an API key (`X-API-Key`) or a JWT",
        "bearer token: use **Authorize**, then *Try it out* on any operation. The storefront's catalog reads",
        "need no credentials. Services and their state:",
        "",
    ]
    for service, document in documents.items():
        state = "available" if document is not None else "unavailable right now (its operations are missing)"
        lines.append(f"- `/api/v1/{service}/...`: {state}")
    return "\n".join(lines)


def _rename_schemas(document: dict[str, Any], service: str) -> dict[str, Any]:
    schemas = document.get("components", {}).get("schemas", {})
    mapping = {name: f"{service}__{name}" for name in schemas}

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str) and value.startswith(REF_PREFIX):
                    name = value[len(REF_PREFIX) :]
                    out[key] = REF_PREFIX + mapping.get(name, name)
                else:
                    out[key] = rewrite(value)
            return out
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    result: dict[str, Any] = rewrite(copy.deepcopy(document))
    if schemas:
        result["components"]["schemas"] = {
            mapping[name]: body for name, body in result["components"]["schemas"].items()
        }
    return result


def _prefix_operations(item: dict[str, Any], service: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for method, operation in item.items():
        if not isinstance(operation, dict):
            out[method] = operation
            continue
        operation = dict(operation)
        operation["tags"] = [f"{service}: {tag}" for tag in operation.get("tags", [])] or [service]
        if "operationId" in operation:
            operation["operationId"] = f"{service}_{operation['operationId']}"
        out[method] = operation
    return out
