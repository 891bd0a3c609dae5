"""One OpenAPI document for the whole suite: every service's operations under its gateway prefix.

Paths `/v1/x` of service `s` become `/api/v1/s/x`; component schemas are renamed `s__Name` (two services
may both have a `ProductRead`) with every `$ref` rewritten; tags are prefixed with the service; operation
ids are made unique. A service that is down is listed as unavailable instead of failing the whole page.
The `Problem` schema is one for all (bss.api.error_responses), and every proxied operation documents what the
gateway itself may answer before the service sees the call (bad path, credentials, policy, rate limit, body
size, the service unreachable).
"""

from __future__ import annotations

import copy
from typing import Any

from bss.api.error_responses import add_reason, problem_response, problem_schemas
from bss.identity import Role
from gateway.policy import allowed

REF_PREFIX = "#/components/schemas/"
API_PREFIX = "/api/v1/"
SHARED_SCHEMAS = frozenset(problem_schemas())
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds until the key may call again",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
}
WWW_AUTHENTICATE = {
    "WWW-Authenticate": {"description": "The scheme to authenticate with", "schema": {"type": "string"}}
}


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
    merged["components"]["schemas"].update(problem_schemas())
    for path, item in merged["paths"].items():
        if path.startswith(API_PREFIX):
            _document_gateway_answers(path, item)
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
    mapping = {name: name if name in SHARED_SCHEMAS else f"{service}__{name}" for name in schemas}

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


def _document_gateway_answers(path: str, item: dict[str, Any]) -> None:
    """What the proxy answers itself on `path` (gateway/proxy.py), beside what the service documents."""
    service, _, tail = path[len(API_PREFIX) :].partition("/")
    for method, operation in item.items():
        if not isinstance(operation, dict):
            continue
        responses: dict[str, Any] = operation.setdefault("responses", {})
        answers = {
            401: {**problem_response("No, unknown, expired or revoked credentials"), "headers": WWW_AUTHENTICATE},
            429: {**problem_response("Too many requests for this key (or address)"), "headers": RETRY_AFTER},
            503: problem_response("The service (or the gateway's key store) is not reachable right now"),
            504: problem_response("The service did not answer in time"),
        }
        if "{" in tail:
            bad_path = "A path parameter is empty, '.' or '..', or holds an encoded slash"
            if "400" in responses:  # the service's own 400 (an unknown query parameter, a bad body)
                add_reason(responses, "400", bad_path)
            else:
                answers[400] = problem_response(bad_path)
        if not all(allowed(role, service, method.upper(), tail) for role in Role):
            answers[403] = problem_response("The key's role may not call this operation")
        if "requestBody" in operation:
            answers[413] = problem_response("The body is larger than the gateway accepts")
        for status, answer in answers.items():
            key = str(status)
            if status == 401 or key not in responses:  # through the gateway, 401 is always the gateway's
                responses[key] = answer
        operation["responses"] = dict(sorted(responses.items()))
