"""The production deployment files, checked without Docker or a cluster.

deploy/docker-compose.yml, the five Dockerfiles and deploy/k8s/ are never run on the developers' machines,
so these tests are what keeps them consistent with the code: paths that exist, settings every service
needs, dependencies that point somewhere, images that run as non-root with an exec-form CMD.
"""

from __future__ import annotations

import json
import re
import shlex
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bss.events.topics import DECLARED_TOPICS

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "deploy"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
ENV_EXAMPLE = DEPLOY / ".env.example"
POSTGRES_INIT = DEPLOY / "postgres" / "init.sql"
K8S = DEPLOY / "k8s"
KUSTOMIZATION = K8S / "kustomization.yaml"


@dataclass(frozen=True)
class Component:
    """One deployable: a service with its own database, or the gateway."""

    name: str  # compose service, k8s Deployment/Service and image name; its folder is services/<name>
    package: str
    port: int
    env_prefix: str
    database: str | None  # PostgreSQL database of a service; None for the gateway (see its own test)

    @property
    def folder(self) -> str:
        """Relative to the repository root."""
        return self.name if self.name == "gateway" else f"services/{self.name}"

    @property
    def dockerfile(self) -> Path:
        return REPO / self.folder / "Dockerfile"

    @property
    def database_url_var(self) -> str:
        return f"{self.env_prefix}DATABASE_URL"


COMPONENTS = (
    Component("catalog", "catalog", 8001, "CATALOG_", "catalog"),
    Component("subscriptions", "subscriptions", 8002, "SUBSCRIPTIONS_", "subscriptions"),
    Component("billing", "billing", 8003, "BILLING_", "billing"),
    Component("support-sla", "support_sla", 8004, "SUPPORT_", "support"),
    Component("gateway", "gateway", 8000, "GATEWAY_", None),
)
SERVICES = tuple(c for c in COMPONENTS if c.database is not None)
GATEWAY = COMPONENTS[-1]
GATEWAY_UPSTREAM_VARS = {
    "GATEWAY_CATALOG_URL": "catalog",
    "GATEWAY_SUBSCRIPTIONS_URL": "subscriptions",
    "GATEWAY_BILLING_URL": "billing",
    "GATEWAY_SUPPORT_URL": "support-sla",
}
HPA_TARGETS = {"gateway", "billing"}
KAFKA_NODES = ("kafka-1", "kafka-2", "kafka-3")


def by_name(components: tuple[Component, ...]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("component", components, ids=[c.name for c in components])


# ------------------------------------------------------------------------------------------------ compose


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())  # SafeLoader resolves anchors and `<<` merge keys
    assert isinstance(data, dict), "docker-compose.yml must be a mapping"
    return data


@pytest.fixture(scope="module")
def compose_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    services = compose.get("services")
    assert isinstance(services, dict), "docker-compose.yml has no services mapping"
    return services


def compose_env(service: dict[str, Any]) -> dict[str, str]:
    """A compose service's environment as a dict, whichever of the two forms the file uses."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (item.split("=", 1) for item in env)
        return {p[0]: p[1] if len(p) > 1 else "" for p in pairs}
    return {key: "" if value is None else str(value) for key, value in env.items()}


def service_containers(compose_services: dict[str, dict[str, Any]]) -> list[tuple[str, Component]]:
    """Every compose container that runs a service's code: the service itself and its migrate one-shot."""
    return [(name, c) for c in SERVICES for name in (c.name, f"{c.name}-migrate") if name in compose_services]


def test_compose_file_parses_into_services_and_volumes(compose: dict[str, Any]) -> None:
    assert isinstance(compose.get("services"), dict)
    assert compose["services"], "docker-compose.yml defines no services"
    for name, service in compose["services"].items():
        assert isinstance(service, dict), f"service {name} is not a mapping"
        assert "image" in service or "build" in service, f"service {name} has neither image nor build"


def test_compose_defines_every_component_and_the_infrastructure(compose_services: dict[str, Any]) -> None:
    expected = {c.name for c in COMPONENTS} | {f"{c.name}-migrate" for c in SERVICES}
    expected |= {*KAFKA_NODES, "kafka-init", "postgres", "redis"}
    assert expected <= set(compose_services), f"missing: {sorted(expected - set(compose_services))}"


def test_every_built_service_has_an_existing_context_and_dockerfile(
    compose_services: dict[str, dict[str, Any]],
) -> None:
    problems = []
    for name, service in compose_services.items():
        build = service.get("build")
        if build is None:
            continue
        context_rel, dockerfile_rel = (
            (build, "Dockerfile")
            if isinstance(build, str)
            else (
                build.get("context", "."),
                build.get("dockerfile", "Dockerfile"),
            )
        )
        context = (DEPLOY / context_rel).resolve()
        if not context.is_dir():
            problems.append(f"{name}: build context {context_rel} ({context}) is not a directory")
        elif not (context / dockerfile_rel).is_file():
            problems.append(f"{name}: dockerfile {dockerfile_rel} does not exist under {context}")
    assert not problems, "\n".join(problems)


def test_every_component_is_built_from_its_own_dockerfile_with_the_repo_as_context(
    compose_services: dict[str, dict[str, Any]],
) -> None:
    for component in COMPONENTS:
        build = compose_services[component.name]["build"]
        context = (DEPLOY / build["context"]).resolve()
        assert context == REPO, f"{component.name}: the build context must be the repo root, not {context}"
        assert (REPO / build["dockerfile"]).resolve() == component.dockerfile


def test_every_depends_on_target_exists(compose_services: dict[str, dict[str, Any]]) -> None:
    problems = []
    for name, service in compose_services.items():
        depends_on = service.get("depends_on") or {}
        targets = depends_on if isinstance(depends_on, list) else list(depends_on)
        problems += [f"{name} depends on unknown service {t}" for t in targets if t not in compose_services]
    assert not problems, "\n".join(problems)


def test_every_service_healthy_dependency_has_a_healthcheck(
    compose_services: dict[str, dict[str, Any]],
) -> None:
    problems = []
    for name, service in compose_services.items():
        depends_on = service.get("depends_on") or {}
        if isinstance(depends_on, list):
            continue
        for target, spec in depends_on.items():
            if (spec or {}).get("condition") != "service_healthy" or target not in compose_services:
                continue
            if not has_healthcheck(compose_services[target]):
                problems.append(f"{name} waits for {target} to be healthy, but {target} has no healthcheck")
    assert not problems, "\n".join(problems)


def has_healthcheck(service: dict[str, Any]) -> bool:
    healthcheck = service.get("healthcheck")
    if healthcheck is not None:
        return not healthcheck.get("disable", False) and bool(healthcheck.get("test"))
    build = service.get("build")
    if not isinstance(build, dict):
        return False
    dockerfile = (DEPLOY / build.get("context", ".") / build.get("dockerfile", "Dockerfile")).resolve()
    return dockerfile.is_file() and any(i.keyword == "HEALTHCHECK" for i in final_stage(dockerfile))


def test_every_service_container_has_a_database_url(compose_services: dict[str, dict[str, Any]]) -> None:
    containers = service_containers(compose_services)
    assert len(containers) == 2 * len(SERVICES), "every service needs a service and a migrate container"
    for name, component in containers:
        url = compose_env(compose_services[name]).get(component.database_url_var, "")
        assert url.startswith("postgresql+asyncpg://"), f"{name}: {component.database_url_var} is {url!r}"
        assert url.endswith(f"@postgres:5432/{component.database}"), f"{name}: wrong database in {url!r}"


def test_every_service_container_has_the_kafka_bootstrap_servers(
    compose_services: dict[str, dict[str, Any]],
) -> None:
    for name, _ in service_containers(compose_services):
        assert compose_env(compose_services[name]).get("BSS_KAFKA_BOOTSTRAP_SERVERS"), name


def test_every_bss_container_has_the_identity_secret_from_a_required_variable(
    compose_services: dict[str, dict[str, Any]],
) -> None:
    names = [*(name for name, _ in service_containers(compose_services)), GATEWAY.name]
    for name in names:
        secret = compose_env(compose_services[name]).get("BSS_IDENTITY_SECRET", "")
        assert secret.startswith("${BSS_IDENTITY_SECRET:?"), f"{name}: BSS_IDENTITY_SECRET is {secret!r}"


def test_every_bss_container_runs_in_production_mode_without_migrating_on_start(
    compose_services: dict[str, dict[str, Any]],
) -> None:
    names = [*(name for name, _ in service_containers(compose_services)), GATEWAY.name]
    for name in names:
        env = compose_env(compose_services[name])
        assert env.get("BSS_ENVIRONMENT") == "production", name
        assert env.get("BSS_MIGRATE_ON_START") == "false", name
        assert env.get("BSS_HOST") == "0.0.0.0", name


def test_no_secret_is_written_into_the_compose_file(compose_services: dict[str, dict[str, Any]]) -> None:
    problems = []
    for name, service in compose_services.items():
        for key, value in compose_env(service).items():
            if key.endswith(("_SECRET", "_PASSWORD")) and not value.startswith(f"${{{key}:?"):
                problems.append(f"{name}: {key} must be ${{{key}:?...}}, not {value!r}")
            if key.endswith("_DATABASE_URL") and "${BSS_DB_PASSWORD:?" not in value:
                problems.append(f"{name}: {key} must take its password from ${{BSS_DB_PASSWORD:?...}}")
    assert not problems, "\n".join(problems)


def test_every_required_compose_variable_is_documented_in_env_example() -> None:
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", COMPOSE_FILE.read_text()))
    documented = set(re.findall(r"^([A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE))
    assert required, "the compose file should require its secrets with ${VAR:?message}"
    assert required <= documented, f"not in deploy/.env.example: {sorted(required - documented)}"


def test_every_service_runs_after_its_migration_completed(
    compose_services: dict[str, dict[str, Any]],
) -> None:
    for component in SERVICES:
        service = compose_services[component.name]
        migrate = compose_services[f"{component.name}-migrate"]
        for one_shot in (f"{component.name}-migrate", "kafka-init"):
            assert service["depends_on"][one_shot]["condition"] == "service_completed_successfully", one_shot
        assert migrate["command"] == ["python", "-m", component.package, "migrate"]
        assert migrate["image"] == service["image"], f"{component.name}: migrate runs a different image"
        assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_gateway_keeps_its_api_keys_in_its_own_database_migrated_before_it_serves(
    compose_services: dict[str, dict[str, Any]],
) -> None:
    gateway, migrate = compose_services["gateway"], compose_services["gateway-migrate"]
    assert gateway["depends_on"]["gateway-migrate"]["condition"] == "service_completed_successfully"
    assert migrate["command"] == ["python", "-m", "gateway", "migrate"]
    assert migrate["image"] == gateway["image"]
    url = gateway["environment"]["GATEWAY_DATABASE_URL"]
    assert url.startswith("postgresql+asyncpg://bss:")
    assert url.endswith("@postgres:5432/gateway")
    assert "GATEWAY_BOOTSTRAP_ADMIN_KEY" in gateway["environment"]


def test_published_ports_do_not_collide(compose_services: dict[str, dict[str, Any]]) -> None:
    published = Counter(
        (ip, host_port, protocol)
        for service in compose_services.values()
        for ip, host_port, _, protocol in map(parse_port, service.get("ports") or [])
        if host_port
    )
    collisions = [port for port, count in published.items() if count > 1]
    assert not collisions, f"host ports published more than once: {collisions}"


def test_gateway_is_published_on_port_8000(compose_services: dict[str, dict[str, Any]]) -> None:
    ports = [parse_port(p) for p in compose_services[GATEWAY.name].get("ports") or []]
    assert any(host == "8000" and container == "8000" for _, host, container, _ in ports), ports


def parse_port(entry: Any) -> tuple[str, str, str, str]:
    """(host ip, host port, container port, protocol) of a compose `ports` entry, short or long syntax."""
    if isinstance(entry, dict):
        return (
            str(entry.get("host_ip", "")),
            str(entry.get("published", "")),
            str(entry["target"]),
            str(entry.get("protocol", "tcp")),
        )
    text, _, protocol = str(entry).partition("/")
    parts = text.rsplit(":", 2)
    if len(parts) == 1:
        return "", "", parts[0], protocol or "tcp"
    if len(parts) == 2:
        return "", parts[0], parts[1], protocol or "tcp"
    return parts[0], parts[1], parts[2], protocol or "tcp"


def test_gateway_upstream_urls_point_at_compose_services_on_their_ports(
    compose_services: dict[str, dict[str, Any]],
) -> None:
    env = compose_env(compose_services[GATEWAY.name])
    ports = {c.name: c.port for c in COMPONENTS}
    for var, target in GATEWAY_UPSTREAM_VARS.items():
        assert env.get(var) == f"http://{target}:{ports[target]}", var
    assert env.get("GATEWAY_REDIS_URL", "").startswith("redis://redis:"), "GATEWAY_REDIS_URL"


def test_kafka_advertises_the_bootstrap_address_the_services_use(
    compose_services: dict[str, dict[str, Any]],
) -> None:
    advertised = {
        listener.split("://", 1)[1]
        for node in KAFKA_NODES
        for listener in compose_env(compose_services[node])["KAFKA_ADVERTISED_LISTENERS"].split(",")
    }
    for name, _ in [*service_containers(compose_services), ("kafka-init", None)]:
        servers = compose_env(compose_services[name])["BSS_KAFKA_BOOTSTRAP_SERVERS"].split(",")
        assert set(servers) == advertised, f"{name}: {servers} are not the brokers ({advertised})"


def test_kafka_runs_three_kraft_nodes_that_replicate_as_the_topics_are_declared(
    compose_services: dict[str, dict[str, Any]],
) -> None:
    """Replication factor 3 and min.insync.replicas 2 need three brokers; one may be down and writes go on."""
    voters = {f"{number}@kafka-{number}:9093" for number in (1, 2, 3)}
    for number, node in enumerate(KAFKA_NODES, 1):
        env = compose_env(compose_services[node])
        assert env["KAFKA_NODE_ID"] == str(number)
        assert set(env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")) == voters
        assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false", "a client must never create a topic"
        assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "3"
        assert env["KAFKA_MIN_INSYNC_REPLICAS"] == "2"
        assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "3"
        assert env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] == "2"
    assert {max(spec.replication_factor, spec.min_insync_replicas + 1) for spec in DECLARED_TOPICS} == {3}


def test_kafka_init_runs_the_generated_topic_script_once_every_node_is_healthy(
    compose_services: dict[str, dict[str, Any]],
) -> None:
    init = compose_services["kafka-init"]
    assert init["entrypoint"] == ["/bin/sh", "/create-topics.sh"]
    assert init["volumes"] == ["./kafka/create-topics.sh:/create-topics.sh:ro"]
    assert (DEPLOY / "kafka" / "create-topics.sh").is_file()
    assert init["image"] == compose_services["kafka-1"]["image"], "the CLI tools of the broker's own version"
    assert {node: spec["condition"] for node, spec in init["depends_on"].items()} == dict.fromkeys(
        KAFKA_NODES, "service_healthy"
    )


def test_every_bind_mount_source_exists(compose_services: dict[str, dict[str, Any]]) -> None:
    for name, service in compose_services.items():
        for volume in service.get("volumes") or []:
            source = volume.get("source", "") if isinstance(volume, dict) else str(volume).split(":", 1)[0]
            if source.startswith((".", "/")):
                assert (DEPLOY / source).exists(), f"{name}: bind-mount source {source} does not exist"


def test_postgres_init_sql_creates_each_service_database_owned_by_the_service_user() -> None:
    sql = POSTGRES_INIT.read_text()
    created = set(re.findall(r"^CREATE DATABASE (\w+) OWNER bss;", sql, flags=re.MULTILINE))
    assert created == {c.database for c in SERVICES} | {"gateway"}
    assert re.search(r"^CREATE ROLE bss LOGIN PASSWORD :'\w+';", sql, flags=re.MULTILINE), "password from env"


# --------------------------------------------------------------------------------------------- Dockerfiles

INSTRUCTIONS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
        "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Instruction:
    line: int  # where the logical line starts, 1-based
    keyword: str  # upper-cased, as Docker reads instructions case-insensitively
    args: str


def parse_dockerfile(text: str) -> list[Instruction]:
    """Logical lines of a Dockerfile: backslash continuations joined, comments and blank lines dropped.

    As Docker does, a comment or blank line inside a continuation is skipped and does not end it, and a
    continuation still open at the end of the file ends there. Heredocs are not supported (the suite's
    Dockerfiles do not use them).
    """
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        instructions.append(logical_line(start, pending))
        pending = []
    if pending:
        instructions.append(logical_line(start, pending))
    return instructions


def logical_line(start: int, parts: list[str]) -> Instruction:
    keyword, _, args = " ".join(parts).partition(" ")
    return Instruction(start, keyword.upper(), args.strip())


def split_flags(args: str) -> tuple[dict[str, list[str]], str]:
    """Leading `--flag=value` / `--flag` options of an instruction (a flag may repeat, as RUN --mount
    does), and the rest of its arguments."""
    flags: dict[str, list[str]] = {}
    rest = args
    while rest.startswith("--"):
        token, _, rest = rest.partition(" ")
        key, _, value = token[2:].partition("=")
        flags.setdefault(key, []).append(value)
        rest = rest.lstrip()
    return flags, rest


def exec_form(args: str) -> list[str] | None:
    """The JSON array of an exec-form CMD/ENTRYPOINT/HEALTHCHECK CMD, or None for shell form."""
    try:
        value = json.loads(args)
    except json.JSONDecodeError:
        return None
    if isinstance(value, list) and value and all(isinstance(item, str) and item for item in value):
        return value
    return None


def stages(instructions: list[Instruction]) -> list[tuple[str | None, list[Instruction]]]:
    """(stage name, instructions from its FROM up to the next FROM) for each build stage."""
    result: list[tuple[str | None, list[Instruction]]] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            _, rest = split_flags(instruction.args)
            words = rest.split()
            name = words[2].lower() if len(words) == 3 and words[1].upper() == "AS" else None
            result.append((name, [instruction]))
        elif result:
            result[-1][1].append(instruction)
    return result


def final_stage(dockerfile: Path) -> list[Instruction]:
    return stages(parse_dockerfile(dockerfile.read_text()))[-1][1]


def dockerfile_problems(text: str) -> list[str]:
    """What makes a Dockerfile invalid or unfit for the suite; empty when it is fine.

    Rules: every logical line starts with a known instruction; the first instruction is FROM (only ARG
    may come before it, as Docker allows); every `--from` names an earlier stage or an image; the final
    stage switches to a non-root USER; CMD, ENTRYPOINT and HEALTHCHECK CMD use the exec (JSON) form.
    """
    instructions = parse_dockerfile(text)
    if not instructions:
        return ["no instructions"]
    problems = [
        f"line {i.line}: {i.keyword!r} is not a Dockerfile instruction"
        for i in instructions
        if i.keyword not in INSTRUCTIONS
    ]
    first = next((i for i in instructions if i.keyword != "ARG"), instructions[0])
    if first.keyword != "FROM":
        problems.append(f"line {first.line}: the first instruction must be FROM, not {first.keyword}")
        return problems
    known_stages: set[str] = set()  # names and indexes of the stages before the current one
    all_stages = stages(instructions)
    for index, (name, body) in enumerate(all_stages):
        for instruction in body:
            flags, rest = split_flags(instruction.args)
            sources = []
            if instruction.keyword in {"COPY", "ADD"}:
                sources += flags.get("from", [])
            if instruction.keyword == "RUN":
                for mount in flags.get("mount", []):
                    sources += re.findall(r"(?:^|,)from=([^,]+)", mount)
            for source in sources:
                if source.lower() not in known_stages and not looks_like_image(source):
                    problems.append(f"line {instruction.line}: --from={source} is not an earlier stage")
            if instruction.keyword in {"CMD", "ENTRYPOINT"} and exec_form(rest) is None:
                problems.append(f"line {instruction.line}: {instruction.keyword} must be a JSON array")
            if instruction.keyword == "HEALTHCHECK" and rest.upper() != "NONE":
                command = rest[len("CMD") :].strip() if rest.upper().startswith("CMD") else None
                if command is None or exec_form(command) is None:
                    problems.append(f"line {instruction.line}: HEALTHCHECK CMD must be a JSON array")
        known_stages |= {str(index), name} if name else {str(index)}
    users = [i for i in all_stages[-1][1] if i.keyword == "USER"]
    if not users:
        problems.append("the final stage never sets USER: the container would run as root")
    elif users[-1].args.split(":", 1)[0].strip() in {"root", "0"}:
        problems.append(f"line {users[-1].line}: the final USER is root")
    if not any(i.keyword == "CMD" for i in all_stages[-1][1]):
        problems.append("the final stage has no CMD")
    return problems


def looks_like_image(reference: str) -> bool:
    return any(mark in reference for mark in ":/@")


def copy_sources(instructions: list[Instruction]) -> list[tuple[int, str]]:
    """(line, source) of every COPY/ADD source that comes from the build context, not from a stage."""
    result = []
    for instruction in instructions:
        if instruction.keyword not in {"COPY", "ADD"}:
            continue
        flags, rest = split_flags(instruction.args)
        if "from" in flags:
            continue
        parsed = json.loads(rest) if rest.startswith("[") else shlex.split(rest)
        result += [(instruction.line, source) for source in parsed[:-1]]
    return result


def env_values(instructions: list[Instruction]) -> dict[str, str]:
    values: dict[str, str] = {}
    for instruction in instructions:
        if instruction.keyword != "ENV":
            continue
        words = shlex.split(instruction.args)
        if words and "=" not in words[0]:  # legacy `ENV KEY value with spaces`
            values[words[0]] = " ".join(words[1:])
            continue
        values.update(word.partition("=")[::2] for word in words)
    return values


TAIL = 'USER app\nCMD ["x"]\n'  # what every checker case needs to be valid after its own lines


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("FROM python:3.11-slim\n" + TAIL, None, id="minimal-valid"),
        pytest.param(
            "# c\nARG V=1\nFROM python:3.11 AS b\nRUN a \\\n  # note\n  && b\n" + TAIL,
            None,
            id="comments-args-and-continuations",
        ),
        pytest.param("FROM python\nRUN a \\\nb c\n" + TAIL, None, id="continuation-is-not-a-line"),
        pytest.param(
            "FROM python AS a\nFROM python\nRUN --mount=type=bind,from=a,target=/w true\n" + TAIL,
            None,
            id="mount-from-stage",
        ),
        pytest.param("FROM python\nFROM python\nCOPY --from=0 /x /\n" + TAIL, None, id="from-stage-index"),
        pytest.param("FROM python\n" + TAIL + "RUN a \\\n", None, id="continuation-ends-at-eof"),
        pytest.param("RUN true\nFROM python\n" + TAIL, "first instruction must be FROM", id="no-from"),
        pytest.param("FROM python\nRUNN true\n" + TAIL, "'RUNN' is not", id="typo"),
        pytest.param('FROM python\nCMD ["x"]\n', "never sets USER", id="no-user"),
        pytest.param('FROM python\nUSER app\nUSER root\nCMD ["x"]\n', "final USER is root", id="root"),
        pytest.param('FROM python\nUSER 0:0\nCMD ["x"]\n', "final USER is root", id="uid-0"),
        pytest.param("FROM python\nUSER app\nCMD python -m x\n", "CMD must be a JSON array", id="shell-cmd"),
        pytest.param('FROM python\nUSER app\nCMD ["python",]\n', "CMD must be a JSON array", id="bad-json"),
        pytest.param("FROM python\nUSER app\n", "no CMD", id="no-cmd"),
        pytest.param("FROM python\nHEALTHCHECK CMD curl x\n" + TAIL, "HEALTHCHECK CMD", id="shell-health"),
        pytest.param("FROM python AS a\nFROM python\nCOPY --from=b x /\n" + TAIL, "earlier stage", id="from"),
    ],
)
def test_dockerfile_checker_accepts_valid_files_and_names_what_is_wrong(
    text: str,
    expected: str | None,
) -> None:
    problems = dockerfile_problems(text)
    if expected is None:
        assert problems == []
    else:
        assert any(expected in problem for problem in problems), problems


@by_name(COMPONENTS)
def test_every_dockerfile_passes_the_dockerfile_checker(component: Component) -> None:
    assert dockerfile_problems(component.dockerfile.read_text()) == []


@by_name(COMPONENTS)
def test_every_dockerfile_is_multi_stage_on_python_311_slim_of_one_debian_release(component: Component) -> None:
    """`python:3.11-slim` moves to the next Debian release on its own; `-slim-bookworm` does not, and the build
    argument lets a release pin the image by digest (`python:3.11-slim-bookworm@sha256:...`)."""
    instructions = parse_dockerfile(component.dockerfile.read_text())
    args = {name: value for name, _, value in (i.args.partition("=") for i in instructions if i.keyword == "ARG")}
    all_stages = stages(instructions)
    assert len(all_stages) >= 2, "build wheels in one stage, run in a slim one"
    for _, body in all_stages:
        _, rest = split_flags(body[0].args)
        image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], rest.split()[0])
        assert re.fullmatch(r"python:3\.11-slim-bookworm(@sha256:[0-9a-f]{64})?", image), body[0]


@by_name(COMPONENTS)
def test_every_dockerfile_cmd_runs_its_package(component: Component) -> None:
    cmd = [i for i in final_stage(component.dockerfile) if i.keyword == "CMD"][-1]
    assert exec_form(cmd.args) == ["python", "-m", component.package]


@by_name(COMPONENTS)
def test_every_dockerfile_exposes_its_port_and_listens_on_all_interfaces(component: Component) -> None:
    body = final_stage(component.dockerfile)
    exposed = {port.split("/")[0] for i in body if i.keyword == "EXPOSE" for port in i.args.split()}
    assert exposed == {str(component.port)}
    env = env_values(body)
    assert env.get(f"{component.env_prefix}PORT") == str(component.port)
    assert env.get("BSS_HOST") == "0.0.0.0"
    assert env.get("PYTHONUNBUFFERED") == "1"


@by_name(COMPONENTS)
def test_every_dockerfile_healthcheck_fetches_healthz_with_urllib(component: Component) -> None:
    checks = [i for i in final_stage(component.dockerfile) if i.keyword == "HEALTHCHECK"]
    assert len(checks) == 1
    _, rest = split_flags(checks[0].args)
    command = exec_form(rest[len("CMD") :].strip())
    assert command is not None
    assert command[:2] == ["python", "-c"]
    assert "urllib.request" in command[2]
    assert "/healthz" in command[2]
    assert f"{component.env_prefix}PORT" in command[2]
    compile(command[2], "HEALTHCHECK", "exec")  # the one-liner is valid Python


@by_name(COMPONENTS)
def test_every_dockerfile_copy_source_exists_in_the_repo(component: Component) -> None:
    sources = copy_sources(parse_dockerfile(component.dockerfile.read_text()))
    assert sources, "the Dockerfile copies nothing from the build context"
    missing = [f"line {line}: {source}" for line, source in sources if not any(REPO.glob(source.strip("/")))]
    assert not missing, f"COPY sources missing from the repo (context = repo root): {missing}"


@by_name(SERVICES)
def test_every_service_image_carries_its_alembic_files_and_package(component: Component) -> None:
    instructions = parse_dockerfile(component.dockerfile.read_text())
    sources = {source.rstrip("/") for _, source in copy_sources(instructions)}
    for needed in ("alembic.ini", "migrations", component.package):
        assert f"{component.folder}/{needed}" in sources, f"{component.folder}/{needed} is not copied"


# ---------------------------------------------------------------------------------------------- Kubernetes

WORKLOAD_KINDS = {"Deployment", "Job", "StatefulSet", "DaemonSet"}
Manifests = list[tuple[str, dict[str, Any]]]  # (file name, document)


@pytest.fixture(scope="module")
def kustomization() -> dict[str, Any]:
    data = yaml.safe_load(KUSTOMIZATION.read_text())
    assert isinstance(data, dict)
    return data


def manifest_files() -> list[Path]:
    return sorted(p for p in K8S.glob("*.y*ml") if p.name != KUSTOMIZATION.name)


@pytest.fixture(scope="module")
def manifests() -> Manifests:
    """(file name, document) of every non-empty document in deploy/k8s/, kustomization.yaml excluded."""
    documents = []
    for path in manifest_files():
        documents += [(path.name, doc) for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
    return documents


def of_kind(manifests: Manifests, kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _, doc in manifests if doc.get("kind") == kind}


def pod_labels(doc: dict[str, Any]) -> dict[str, str]:
    return dict(doc["spec"]["template"]["metadata"].get("labels") or {})


def pod_containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc["spec"]["template"]["spec"]
    return list(spec.get("initContainers") or []) + list(spec.get("containers") or [])


def test_every_k8s_manifest_parses_and_names_its_resource(
    manifests: Manifests,
) -> None:
    assert manifests, "deploy/k8s/ holds no manifests"
    for file, doc in manifests:
        assert isinstance(doc, dict), f"{file}: a document is not a mapping"
        assert doc.get("apiVersion"), f"{file}: a document has no apiVersion"
        assert doc.get("kind"), f"{file}: a document has no kind"
        assert (doc.get("metadata") or {}).get("name"), f"{file}: a {doc.get('kind')} has no metadata.name"


def test_k8s_resource_names_are_unique_per_kind(manifests: Manifests) -> None:
    counts = Counter((doc["kind"], doc["metadata"]["name"]) for _, doc in manifests)
    assert [key for key, count in counts.items() if count > 1] == []


def test_every_k8s_container_has_resource_requests_and_limits(
    manifests: Manifests,
) -> None:
    problems = []
    for file, doc in manifests:
        if doc["kind"] not in WORKLOAD_KINDS:
            continue
        for container in pod_containers(doc):
            resources = container.get("resources") or {}
            for section in ("requests", "limits"):
                missing = {"cpu", "memory"} - set(resources.get(section) or {})
                if missing:
                    problems.append(f"{file}: {container['name']} lacks {section} {sorted(missing)}")
    assert not problems, "\n".join(problems)


def test_every_deployment_container_has_readiness_and_liveness_probes(manifests: Manifests) -> None:
    """Services: ready on /readyz (database, broker, schema at the code's head), alive on /healthz. The gateway
    is ready on /healthz: its /readyz fails while any one service is down, and that must not pull every gateway
    pod."""
    for name, deployment in of_kind(manifests, "Deployment").items():
        readiness_path = "/healthz" if name == GATEWAY.name else "/readyz"
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            port_names = {p.get("name") for p in container.get("ports") or []}
            port_numbers = {p["containerPort"] for p in container.get("ports") or []}
            for probe, path in (("readinessProbe", readiness_path), ("livenessProbe", "/healthz")):
                http = (container.get(probe) or {}).get("httpGet") or {}
                assert http.get("path") == path, f"{name}/{container['name']}: {probe} must GET {path}"
                assert http.get("port") in port_names | port_numbers, f"{name}: {probe} port is not exposed"


def test_every_deployment_selector_matches_its_pod_labels(
    manifests: Manifests,
) -> None:
    for name, deployment in of_kind(manifests, "Deployment").items():
        selector = deployment["spec"]["selector"]["matchLabels"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items(), name


def test_every_k8s_service_selects_a_deployment_on_a_declared_port(
    manifests: Manifests,
) -> None:
    deployments = of_kind(manifests, "Deployment").values()
    for name, service in of_kind(manifests, "Service").items():
        selector = service["spec"]["selector"]
        matches = [d for d in deployments if selector.items() <= pod_labels(d).items()]
        assert len(matches) == 1, f"Service {name} selects {len(matches)} Deployments"
        ports = [p for c in pod_containers(matches[0]) for p in c.get("ports") or []]
        declared = {p.get("name") for p in ports} | {p["containerPort"] for p in ports}
        for port in service["spec"]["ports"]:
            assert port.get("targetPort", port["port"]) in declared, f"Service {name}: {port}"


@by_name(COMPONENTS)
def test_every_component_has_a_deployment_and_service_on_its_port(
    manifests: Manifests,
    component: Component,
) -> None:
    deployment = of_kind(manifests, "Deployment")[component.name]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"].split(":")[0] == f"bss/{component.name}"
    assert container.get("command", ["python", "-m", component.package]) == [
        "python",
        "-m",
        component.package,
    ]
    assert [p["containerPort"] for p in container["ports"]] == [component.port]
    service = of_kind(manifests, "Service")[component.name]
    assert [p["port"] for p in service["spec"]["ports"]] == [component.port]


@by_name(SERVICES)
def test_every_service_has_a_migrate_job_running_its_package(
    manifests: Manifests,
    component: Component,
) -> None:
    job = of_kind(manifests, "Job")[f"{component.name}-migrate"]
    deployment = of_kind(manifests, "Deployment")[component.name]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["python", "-m", component.package, "migrate"]
    assert container["image"] == deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] in {"Never", "OnFailure"}


def container_env(manifests: Manifests, container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Env var name -> where it comes from ({"value": ...}, {"secret": key} or {"configmap": name})."""
    configmaps = of_kind(manifests, "ConfigMap")
    resolved: dict[str, dict[str, Any]] = {}
    for source in container.get("envFrom") or []:
        ref = source.get("configMapRef")
        if ref:
            assert ref["name"] in configmaps, f"envFrom references unknown ConfigMap {ref['name']}"
            resolved |= {key: {"configmap": ref["name"]} for key in configmaps[ref["name"]].get("data") or {}}
    for var in container.get("env") or []:
        secret_ref = (var.get("valueFrom") or {}).get("secretKeyRef")
        resolved[var["name"]] = {"secret": secret_ref} if secret_ref else {"value": var.get("value")}
    return resolved


def secret_keys(manifests: Manifests, name: str) -> set[str]:
    secret = of_kind(manifests, "Secret")[name]
    return set(secret.get("stringData") or {}) | set(secret.get("data") or {})


@by_name(SERVICES)
def test_every_k8s_service_container_gets_its_database_url_kafka_and_identity_secret(
    manifests: Manifests, component: Component
) -> None:
    workloads = [
        of_kind(manifests, "Deployment")[component.name],
        of_kind(manifests, "Job")[f"{component.name}-migrate"],
    ]
    for workload in workloads:
        for container in workload["spec"]["template"]["spec"]["containers"]:
            env = container_env(manifests, container)
            for var in (component.database_url_var, "BSS_IDENTITY_SECRET"):
                ref = env.get(var, {}).get("secret")
                assert ref, f"{workload['metadata']['name']}: {var} must come from a Secret"
                assert ref["key"] in secret_keys(manifests, ref["name"]), f"{var}: no key {ref['key']}"
            assert "BSS_KAFKA_BOOTSTRAP_SERVERS" in env, workload["metadata"]["name"]
            others = {c.database_url_var for c in SERVICES} - {component.database_url_var}
            assert not others & set(env), f"{workload['metadata']['name']} sees another service's database"


def test_k8s_gateway_gets_the_identity_secret_and_its_upstreams(
    manifests: Manifests,
) -> None:
    container = of_kind(manifests, "Deployment")[GATEWAY.name]["spec"]["template"]["spec"]["containers"][0]
    env = container_env(manifests, container)
    assert env["BSS_IDENTITY_SECRET"].get("secret"), "BSS_IDENTITY_SECRET must come from a Secret"
    ports = {c.name: c.port for c in COMPONENTS}
    services = of_kind(manifests, "Service")
    for var, target in GATEWAY_UPSTREAM_VARS.items():
        assert target in services, f"no Service {target} for {var}"
        assert env[var] == {"value": f"http://{target}:{ports[target]}"}, var
    assert "GATEWAY_REDIS_URL" in env


def test_k8s_configmap_holds_the_production_suite_settings(
    manifests: Manifests,
) -> None:
    data = of_kind(manifests, "ConfigMap")["bss-config"]["data"]
    assert data["BSS_ENVIRONMENT"] == "production"
    assert data["BSS_MIGRATE_ON_START"] == "false"
    assert data["BSS_KAFKA_IDEMPOTENT_PRODUCER"] == "true"
    assert data["BSS_HOST"] == "0.0.0.0"
    assert data["BSS_KAFKA_BOOTSTRAP_SERVERS"]
    assert all(isinstance(value, str) for value in data.values()), "ConfigMap values must be strings"


def test_k8s_secret_template_carries_no_real_secret(manifests: Manifests) -> None:
    for name, secret in of_kind(manifests, "Secret").items():
        assert not secret.get("data"), f"Secret {name}: use stringData placeholders, no encoded values"
        assert all(value == "" for value in (secret.get("stringData") or {}).values()), name


def test_kustomization_lists_only_files_that_exist(kustomization: dict[str, Any]) -> None:
    resources = kustomization.get("resources") or []
    assert resources, "kustomization.yaml lists no resources"
    assert [r for r in resources if not (K8S / r).is_file()] == []
    assert len(resources) == len(set(resources)), "a resource is listed twice"


def test_every_manifest_file_is_listed_in_the_kustomization(kustomization: dict[str, Any]) -> None:
    listed = set(kustomization.get("resources") or [])
    assert [p.name for p in manifest_files() if p.name not in listed] == []


def test_kustomization_images_name_only_images_the_manifests_use(
    kustomization: dict[str, Any], manifests: Manifests
) -> None:
    workloads = [doc for _, doc in manifests if doc["kind"] in WORKLOAD_KINDS]
    used = {c["image"].split(":")[0] for doc in workloads for c in pod_containers(doc)}
    assert {image["name"] for image in kustomization.get("images") or []} == used


def test_every_hpa_targets_a_deployment_that_exists(manifests: Manifests) -> None:
    hpas = [doc for _, doc in manifests if doc["kind"] == "HorizontalPodAutoscaler"]
    deployments = of_kind(manifests, "Deployment")
    for hpa in hpas:
        assert hpa["apiVersion"] == "autoscaling/v2", hpa["metadata"]["name"]
        target = hpa["spec"]["scaleTargetRef"]
        assert target["kind"] == "Deployment", target
        assert target["name"] in deployments, target
        assert 1 <= hpa["spec"].get("minReplicas", 1) <= hpa["spec"]["maxReplicas"]
    assert {hpa["spec"]["scaleTargetRef"]["name"] for hpa in hpas} == HPA_TARGETS


def test_hpa_scaled_deployments_leave_the_replica_count_to_the_hpa(
    manifests: Manifests,
) -> None:
    deployments = of_kind(manifests, "Deployment")
    for name in HPA_TARGETS:
        assert "replicas" not in deployments[name]["spec"], f"{name}: each apply would reset the HPA's count"
