"""deploy/k8s as an operator reads it: every manifest valid for Kubernetes, roll-outs ordered behind their
migrations, no single point a node drain takes away, billing scaled on its backlog, and a network where only the
gateway reaches the services and only the services reach PostgreSQL and Kafka."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.unit.deploy.test_deploy_files import COMPONENTS, GATEWAY, K8S, SERVICES, Component, by_name

OPTIONS = K8S / "options"
KUBERNETES_VERSIONS = ("1.29.0", kubernetes_validate.latest_version())  # the oldest we support, the newest known
CUSTOM_KINDS = {("keda.sh/v1alpha1", "ScaledObject"), ("kafka.strimzi.io/v1beta2", "KafkaTopic")}
POSTGRES, KAFKA, REDIS = 5432, 9092, 6379


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


@functools.cache
def all_manifests() -> tuple[tuple[Path, dict[str, Any]], ...]:
    """Every resource under deploy/k8s, options included (kustomization files excluded); read once."""
    paths = sorted(p for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml")
    return tuple((path, doc) for path in paths for doc in documents(path))


def suite() -> list[dict[str, Any]]:
    return [doc for path, doc in all_manifests() if path.parent == K8S]


def of_kind(kind: str, docs: list[dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in (docs or suite()) if doc["kind"] == kind}


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def pod_labels(workload: dict[str, Any]) -> dict[str, str]:
    return dict(workload["spec"]["template"]["metadata"]["labels"])


# ---------------------------------------------------------------------------------------------- validity


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_is_valid_for_kubernetes(version: str) -> None:
    problems = []
    for path, doc in all_manifests():
        if (doc["apiVersion"], doc["kind"]) in CUSTOM_KINDS:
            continue
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            problems.append(f"{path.relative_to(K8S)}: {doc['kind']} {doc['metadata']['name']}: {exc.message}")
    assert not problems, "\n".join(problems)


def test_only_the_known_custom_resources_are_used() -> None:
    kinds = {(doc["apiVersion"], doc["kind"]) for _, doc in all_manifests()}
    known = {(doc["apiVersion"], doc["kind"]) for doc in suite()}
    assert kinds - known == CUSTOM_KINDS


kubectl = shutil.which("kubectl")


@pytest.mark.skipif(kubectl is None, reason="kubectl is not installed")
@pytest.mark.parametrize(
    ("components", "absent", "present"),
    [
        pytest.param([], set(), {("Job", "kafka-topics"), ("HorizontalPodAutoscaler", "billing")}, id="base"),
        pytest.param(
            ["options/keda"],
            {("HorizontalPodAutoscaler", "billing")},
            {("ScaledObject", "billing"), ("HorizontalPodAutoscaler", "gateway")},
            id="keda",
        ),
        pytest.param(
            ["options/strimzi"],
            {("Job", "kafka-topics"), ("ConfigMap", "bss-kafka-topics"), ("NetworkPolicy", "kafka-topics")},
            {("Job", "catalog-migrate")},
            id="strimzi",
        ),
    ],
)
def test_kustomize_builds_the_suite_and_each_option(
    tmp_path: Path, components: list[str], absent: set[tuple[str, str]], present: set[tuple[str, str]]
) -> None:
    """`kubectl kustomize` (no cluster needed) on a copy with the option's component turned on."""
    root = tmp_path / "k8s"
    shutil.copytree(K8S, root)
    if components:
        kustomization = root / "kustomization.yaml"
        kustomization.write_text(
            kustomization.read_text() + "components:\n" + "".join(f"  - {c}\n" for c in components)
        )
    assert kubectl is not None
    built = subprocess.run([kubectl, "kustomize", str(root)], capture_output=True, text=True, check=False, timeout=60)
    assert built.returncode == 0, built.stderr
    resources = {(doc["kind"], doc["metadata"]["name"]) for doc in yaml.safe_load_all(built.stdout) if doc}
    assert present <= resources
    assert not absent & resources
    assert all(
        doc["metadata"].get("namespace") == "bss"
        for doc in yaml.safe_load_all(built.stdout)
        if doc and doc["kind"] != "Namespace"
    )


# ---------------------------------------------------------------------------------- roll-outs and migrations


@by_name(SERVICES)
def test_every_service_pod_waits_for_its_schema_before_it_starts(component: Component) -> None:
    """The init container blocks the pod until the migrate Job brought the database to the release's head, so the
    consumers and background tasks (which readiness does not hold back) never run on an older schema."""
    deployment = of_kind("Deployment")[component.name]
    (init,) = pod_spec(deployment)["initContainers"]
    main = pod_spec(deployment)["containers"][0]
    assert init["command"][:4] == ["python", "-m", component.package, "wait-for-schema"]
    assert init["image"] == main["image"]
    job = of_kind("Job")[f"{component.name}-migrate"]
    assert pod_spec(job)["containers"][0]["image"] == main["image"], "the Job migrates to the pod's own head"
    names = {var["name"] for var in init["env"]}
    assert {component.database_url_var, "BSS_IDENTITY_SECRET"} <= names
    timeout = float(init["command"][init["command"].index("--timeout") + 1])
    assert timeout >= job["spec"]["activeDeadlineSeconds"], "the wait outlasts the Job's own deadline"


@by_name(SERVICES)
def test_every_service_is_ready_only_on_readyz_which_checks_the_schema(component: Component) -> None:
    deployment = of_kind("Deployment")[component.name]
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0, "old pods serve meanwhile"
    probe = pod_spec(deployment)["containers"][0]["readinessProbe"]["httpGet"]
    assert probe["path"] == "/readyz"


def test_the_kustomization_explains_the_roll_out_order() -> None:
    text = (K8S / "kustomization.yaml").read_text()
    assert "wait-for-schema" in text
    assert "expand/contract" in text


# --------------------------------------------------------------------------------------------- availability


@by_name(COMPONENTS)
def test_every_component_has_a_disruption_budget_that_keeps_one_pod(component: Component) -> None:
    budget = of_kind("PodDisruptionBudget")[component.name]
    deployment = of_kind("Deployment")[component.name]
    assert budget["spec"]["selector"]["matchLabels"].items() <= pod_labels(deployment).items()
    assert budget["spec"].get("maxUnavailable") == 1 or budget["spec"].get("minAvailable") == 1
    replicas = deployment["spec"].get("replicas")
    if replicas is None:  # the HPA owns the count
        hpa = of_kind("HorizontalPodAutoscaler")[component.name]
        replicas = hpa["spec"]["minReplicas"]
    assert replicas >= 2, "a budget of one pod down needs a second pod to serve"


@by_name(COMPONENTS)
def test_every_component_spreads_its_replicas_over_nodes_and_zones(component: Component) -> None:
    deployment = of_kind("Deployment")[component.name]
    constraints = {c["topologyKey"]: c for c in pod_spec(deployment)["topologySpreadConstraints"]}
    assert set(constraints) == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}
    hosts = constraints["kubernetes.io/hostname"]
    assert hosts["whenUnsatisfiable"] == "DoNotSchedule", "two replicas must never share a node"
    assert hosts["maxSkew"] == 1
    assert hosts.get("nodeTaintsPolicy") == "Honor", "a cordoned node must not block the drain's replacement"
    for constraint in constraints.values():
        assert constraint["labelSelector"]["matchLabels"].items() <= pod_labels(deployment).items()
        assert constraint.get("matchLabelKeys") == ["pod-template-hash"]


def test_billing_scales_on_its_consumer_lag_with_keda_and_keeps_the_cpu_hpa_as_fallback() -> None:
    (scaled,) = documents(OPTIONS / "keda" / "billing-scaledobject.yaml")
    hpa = of_kind("HorizontalPodAutoscaler")["billing"]
    assert scaled["spec"]["scaleTargetRef"]["name"] == "billing"
    triggers = {trigger["type"]: trigger for trigger in scaled["spec"]["triggers"]}
    assert set(triggers) == {"kafka", "cpu"}
    lag = triggers["kafka"]["metadata"]
    assert (lag["topic"], lag["consumerGroup"]) == ("bss.usage", "billing.usage")
    assert lag["bootstrapServersFromEnv"] == "BSS_KAFKA_BOOTSTRAP_SERVERS"
    assert lag["allowIdleConsumers"] == "false"
    cpu_target = hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"]
    assert triggers["cpu"]["metadata"]["value"] == str(cpu_target)
    assert scaled["spec"]["minReplicaCount"] == hpa["spec"]["minReplicas"]
    assert scaled["spec"]["maxReplicaCount"] == hpa["spec"]["maxReplicas"] == 12, "bss.usage has 12 partitions"
    component = yaml.safe_load((OPTIONS / "keda" / "kustomization.yaml").read_text())
    assert component["kind"] == "Component"
    assert "HorizontalPodAutoscaler" in component["patches"][0]["patch"], "KEDA's HPA replaces the CPU one"


# ---------------------------------------------------------------------------------------------- the network


def policies() -> dict[str, dict[str, Any]]:
    return of_kind("NetworkPolicy")


def selected(policy: dict[str, Any], workload: dict[str, Any]) -> bool:
    return bool(policy["spec"]["podSelector"].get("matchLabels", {}).items() <= pod_labels(workload).items())


def rules_for(workload: dict[str, Any], direction: str) -> list[dict[str, Any]]:
    types = direction.capitalize()
    return [
        rule
        for policy in policies().values()
        if selected(policy, workload) and types in policy["spec"]["policyTypes"]
        for rule in policy["spec"].get(direction, [])
    ]


def ports_of(rules: list[dict[str, Any]]) -> set[int]:
    """Every TCP port (ranges expanded) the rules open, DNS excluded."""
    opened = set()
    for rule in rules:
        for port in rule.get("ports", []):
            if isinstance(port["port"], int) and port["port"] != 53:
                opened |= set(range(port["port"], port.get("endPort", port["port"]) + 1))
    return opened


def workloads() -> dict[str, dict[str, Any]]:
    return of_kind("Deployment") | of_kind("Job")


def test_everything_is_denied_unless_a_policy_allows_it() -> None:
    deny = policies()["default-deny"]["spec"]
    assert deny["podSelector"] == {}
    assert set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny
    assert "egress" not in deny


def test_only_the_gateway_reaches_the_services() -> None:
    gateway = of_kind("Deployment")[GATEWAY.name]
    for service in SERVICES:
        deployment = of_kind("Deployment")[service.name]
        for rule in rules_for(deployment, "ingress"):
            for peer in rule["from"]:
                if "podSelector" in peer and "namespaceSelector" not in peer:
                    assert peer["podSelector"]["matchLabels"].items() <= pod_labels(gateway).items(), peer
                else:  # Prometheus: another namespace, named
                    assert peer == {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
        for name, other in workloads().items():
            if name == GATEWAY.name:
                continue
            assert not any(
                "podSelector" in peer and selected({"spec": {"podSelector": peer["podSelector"]}}, deployment)
                for rule in rules_for(other, "egress")
                for peer in rule.get("to", [])
            ), f"{name} may reach {service.name}"
    reachable = ports_of(rules_for(gateway, "egress"))
    assert {service.port for service in SERVICES} <= reachable


def test_only_the_services_reach_postgresql_and_kafka() -> None:
    for name, workload in workloads().items():
        opened = ports_of(rules_for(workload, "egress"))
        component = pod_labels(workload)["app.kubernetes.io/component"]
        if component == "service":
            assert opened == {POSTGRES, KAFKA}, name
        elif component == "migrate":
            assert opened == {POSTGRES}, name
        elif component == "kafka-topics":
            assert opened == {KAFKA}, name
        else:  # the gateway: its API-key database, Redis and the services; never Kafka
            assert name == GATEWAY.name
            assert KAFKA not in opened
            assert {POSTGRES, REDIS} <= opened


def test_the_gateway_is_the_one_way_in() -> None:
    for name, workload in workloads().items():
        ingress = rules_for(workload, "ingress")
        if name == GATEWAY.name:
            assert ports_of(ingress) == {GATEWAY.port}
            assert all("from" not in rule for rule in ingress), "from anywhere: the ingress controller"
        else:
            assert all(rule.get("from") for rule in ingress), f"{name} is open to anyone"


def test_every_pod_may_resolve_names() -> None:
    (rule,) = policies()["allow-dns"]["spec"]["egress"]
    assert {(port["protocol"], port["port"]) for port in rule["ports"]} == {("UDP", 53), ("TCP", 53)}
