"""deploy/k8s/gateway*.yaml: the gateway migrates its key database first and gets every secret it reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

K8S = Path(__file__).resolve().parents[3] / "deploy" / "k8s"


def documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(K8S.glob("*.yaml")):
        docs += [doc for doc in yaml.safe_load_all(path.read_text()) if isinstance(doc, dict)]
    return docs


def gateway_pod() -> dict[str, Any]:
    (deployment,) = [d for d in documents() if d.get("kind") == "Deployment" and d["metadata"]["name"] == "gateway"]
    spec: dict[str, Any] = deployment["spec"]["template"]["spec"]
    return spec


def test_gateway_pods_migrate_the_key_database_before_serving() -> None:
    (init,) = gateway_pod()["initContainers"]
    (container,) = gateway_pod()["containers"]
    assert init["command"] == ["python", "-m", "gateway", "migrate"]
    assert init["image"] == container["image"]


def test_every_secret_the_gateway_reads_exists_in_a_secret_template() -> None:
    secrets = {
        doc["metadata"]["name"]: set(doc.get("stringData") or {}) for doc in documents() if doc.get("kind") == "Secret"
    }
    pod = gateway_pod()
    refs = [
        var["valueFrom"]["secretKeyRef"]
        for container in pod["initContainers"] + pod["containers"]
        for var in container.get("env") or []
        if "valueFrom" in var
    ]
    assert {ref["key"] for ref in refs} >= {
        "GATEWAY_DATABASE_URL",
        "GATEWAY_BOOTSTRAP_ADMIN_KEY",
        "BSS_IDENTITY_SECRET",
    }
    for ref in refs:
        assert ref["key"] in secrets.get(ref["name"], set()), ref
