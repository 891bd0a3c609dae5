"""Topics as declared infrastructure: one declaration (`bss.events.topics`), the files generated from it, and the
comparison a production service makes with what the broker reports before it runs (ADR 0016)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bss.events import topicgen
from bss.events.topics import (
    DECLARED_TOPICS,
    TOPICS,
    TopicSpec,
    dead_letter_topic,
    spec_for,
)
from bss.kafka_topics import ObservedTopic, TopicProblem, TopicsNotAsDeclared, refusal, topic_problems
from bss.settings import ConfigurationError

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / topicgen.SCRIPT_PATH
K8S_JOB = REPO / topicgen.K8S_JOB_PATH
STRIMZI = REPO / topicgen.STRIMZI_PATH
CREATE_LINE = re.compile(r"^create_topic (\S+) (\d+) (\d+) (\S+)$", flags=re.MULTILINE)


def created_by_script(script: str) -> dict[str, dict[str, Any]]:
    """topic -> partitions, replication factor and configs, as the script creates it."""
    return {
        name: {
            "partitions": int(partitions),
            "replication_factor": int(replicas),
            "configs": dict(pair.split("=", 1) for pair in configs.split(",")),
        }
        for name, partitions, replicas, configs in CREATE_LINE.findall(script)
    }


def declared() -> dict[str, dict[str, Any]]:
    return {
        spec.name: {
            "partitions": spec.partitions,
            "replication_factor": spec.replication_factor,
            "configs": spec.configs(),
        }
        for spec in DECLARED_TOPICS
    }


# ------------------------------------------------------------------------------------------- the declaration


def test_every_topic_has_a_dead_letter_topic_and_nothing_else_is_declared() -> None:
    names = [spec.name for spec in DECLARED_TOPICS]
    assert len(names) == len(set(names))
    assert set(names) == {spec.name for spec in TOPICS} | {dead_letter_topic(spec.name) for spec in TOPICS}


def test_production_defaults_are_three_replicas_and_two_in_sync() -> None:
    """acks=all then means two brokers have every acknowledged record, and one broker may be down."""
    for spec in DECLARED_TOPICS:
        assert spec.replication_factor == 3, spec.name
        assert spec.min_insync_replicas == 2, spec.name
        assert spec.min_insync_replicas < spec.replication_factor, "one broker down must not stop writes"
        assert spec.cleanup_policy == "delete", "events are a history: compaction would keep only the last"


def test_dead_letters_have_one_partition_and_are_kept_longer_than_events() -> None:
    for spec in TOPICS:
        letters = spec_for(dead_letter_topic(spec.name))
        assert letters.partitions == 1
        assert letters.retention_ms > spec.retention_ms >= 7 * 24 * 3600 * 1000


def test_usage_has_the_partitions_billing_scales_to() -> None:
    assert spec_for("bss.usage").partitions == 12


# ------------------------------------------------------------------------------------ the generated files


def test_committed_generated_files_equal_what_the_declaration_generates() -> None:
    assert topicgen.check(REPO) == [], "run `python -m bss.events.topicgen` and commit the files"


def test_generator_check_names_a_stale_file_and_write_fixes_it(tmp_path: Path) -> None:
    assert set(topicgen.check(tmp_path)) == {
        f"{path} is out of date: run `python -m bss.events.topicgen`" for path in topicgen.generated_files()
    }
    assert set(topicgen.write(tmp_path)) == set(topicgen.generated_files())
    assert topicgen.check(tmp_path) == []
    script = tmp_path / topicgen.SCRIPT_PATH
    script.write_text(script.read_text().replace("create_topic bss.usage 12", "create_topic bss.usage 3"))
    assert topicgen.check(tmp_path) == [f"{topicgen.SCRIPT_PATH} is out of date: run `python -m bss.events.topicgen`"]
    assert topicgen.main(["--check", "--root", str(tmp_path)]) == 1
    assert topicgen.main(["--root", str(tmp_path)]) == 0
    assert topicgen.main(["--check", "--root", str(tmp_path)]) == 0


def test_compose_script_creates_every_topic_as_declared() -> None:
    script = SCRIPT.read_text()
    assert script.startswith("#!/bin/sh\n")
    assert "set -eu" in script
    assert created_by_script(script) == declared()


def test_script_creates_idempotently_and_never_shrinks_or_recreates() -> None:
    script = SCRIPT.read_text()
    assert "--create --if-not-exists" in script
    assert "--add-config" in script, "existing topics get the declared configs"
    assert "--delete" not in script
    assert "--alter --partitions" not in script
    assert '--partitions "$2"' in script


def test_k8s_job_runs_the_same_script_with_the_brokers_tools() -> None:
    config_map, job = (doc for doc in yaml.safe_load_all(K8S_JOB.read_text()) if doc)
    assert config_map["kind"] == "ConfigMap"
    assert config_map["data"]["create-topics.sh"] == SCRIPT.read_text()
    assert job["kind"] == "Job"
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"] == ["/bin/sh", "/scripts/create-topics.sh"]
    assert container["image"].startswith("apache/kafka:")
    assert {"configMapRef": {"name": "bss-config"}} in container["envFrom"], "BSS_KAFKA_BOOTSTRAP_SERVERS"
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    assert volumes[mounts["/scripts"]]["configMap"]["name"] == config_map["metadata"]["name"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["restartPolicy"] == "Never"


def test_strimzi_topics_are_declared_as_kafka_topic_resources() -> None:
    documents = [doc for doc in yaml.safe_load_all(STRIMZI.read_text()) if doc]
    assert {doc["kind"] for doc in documents} == {"KafkaTopic"}
    as_resources = {
        doc["spec"]["topicName"]: {
            "partitions": doc["spec"]["partitions"],
            "replication_factor": doc["spec"]["replicas"],
            "configs": {key: str(value) for key, value in doc["spec"]["config"].items()},
        }
        for doc in documents
    }
    assert as_resources == declared()
    assert all(doc["metadata"]["labels"]["strimzi.io/cluster"] for doc in documents)
    assert all(re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", doc["metadata"]["name"]) for doc in documents)


# --------------------------------------------------------------------------------------------- the comparison

USAGE = TopicSpec("bss.usage", 12)
AS_DECLARED = ObservedTopic("bss.usage", 12, 3, {"min.insync.replicas": "2", "retention.ms": "604800000"})


def observed(**changes: Any) -> ObservedTopic:
    return dataclasses.replace(AS_DECLARED, **changes)


@pytest.mark.parametrize(
    ("topic", "issues"),
    [
        pytest.param(AS_DECLARED, [], id="as-declared"),
        pytest.param(observed(partitions=24, replication_factor=5), [], id="grown-is-fine"),
        pytest.param(observed(configs={"min.insync.replicas": "3"}), [], id="stricter-isr-is-fine"),
        pytest.param(None, ["missing"], id="missing"),
        pytest.param(observed(partitions=3), ["3 partitions, declared 12"], id="fewer-partitions"),
        pytest.param(
            observed(replication_factor=1), ["replication factor 1, declared 3"], id="single-replica-as-auto-created"
        ),
        pytest.param(observed(replication_factor=2), ["replication factor 2, declared 3"], id="two-replicas"),
        pytest.param(
            observed(configs={"min.insync.replicas": "1"}), ["min.insync.replicas 1, declared 2"], id="isr-one"
        ),
        pytest.param(observed(configs={}), ["min.insync.replicas not reported, declared 2"], id="isr-not-reported"),
        pytest.param(
            observed(partitions=1, replication_factor=1, configs={}),
            [
                "1 partitions, declared 12",
                "replication factor 1, declared 3",
                "min.insync.replicas not reported, declared 2",
            ],
            id="embedded-broker-shape",
        ),
    ],
)
def test_a_topic_honours_its_declaration_or_each_shortfall_is_named(
    topic: ObservedTopic | None, issues: list[str]
) -> None:
    assert [problem.issue for problem in topic_problems(USAGE, topic)] == issues


def test_refusal_is_one_line_naming_each_issue_once_with_its_topics_and_the_fix() -> None:
    error = refusal(
        [
            TopicProblem("bss.catalog", "replication factor 1, declared 3"),
            TopicProblem("bss.usage", "replication factor 1, declared 3"),
            TopicProblem("bss.usage.dlq", "missing"),
        ]
    )
    message = str(error)
    assert isinstance(error, TopicsNotAsDeclared)
    assert isinstance(error, ConfigurationError), "bss.serve turns it into exit code 2"
    assert "\n" not in message
    assert message.startswith(
        "Kafka topics are not as declared (replication factor 1, declared 3: bss.catalog, bss.usage; "
        "missing: bss.usage.dlq); create the topics as declared"
    )
    assert "python -m bss.events.topicgen" in message
