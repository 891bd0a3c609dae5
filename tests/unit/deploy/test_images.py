"""The images without a Docker engine: what the build context sends (.dockerignore), and Dockerfiles whose
commands match the packages they build."""

from __future__ import annotations

import functools
import os
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.unit.deploy.test_deploy_files import (
    COMPONENTS,
    REPO,
    SERVICES,
    Component,
    by_name,
    copy_sources,
    final_stage,
    parse_dockerfile,
    split_flags,
)

DOCKERIGNORE = REPO / ".dockerignore"
MAX_CONTEXT_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    include: bool  # a `!pattern` brings back what an earlier one excluded


def translate(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as Docker matches it (Go's filepath.Match, plus `**` for any number of folders),
    relative to the context root."""
    pattern = pattern.strip().strip("/")
    pattern = os.path.normpath(pattern) if pattern else pattern
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + "[" + pattern[i + 1 : end].replace("!", "^", 1) + "]", end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def parse_dockerignore(text: str) -> list[Pattern]:
    patterns = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        include = line.startswith("!")
        patterns.append(Pattern(translate(line.removeprefix("!")), include))
    return patterns


def excluded(path: str, patterns: list[Pattern]) -> bool:
    """Whether `path` (relative, with /) stays out of the context: the last pattern that matches it or one of its
    parent folders decides, as in Docker."""
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    verdict = False
    for pattern in patterns:
        if any(pattern.regex.fullmatch(candidate) for candidate in candidates):
            verdict = not pattern.include
    return verdict


def context_files(root: Path, patterns: list[Pattern]) -> Iterator[tuple[str, int]]:
    """(relative path, size) of every file the build context sends; excluded folders are not walked (unless a
    `!` pattern may bring something back)."""
    may_reinclude = any(pattern.include for pattern in patterns)
    for folder, dirs, files in os.walk(root):
        relative = Path(folder).relative_to(root).as_posix()
        prefix = "" if relative == "." else relative + "/"
        if not may_reinclude:
            dirs[:] = [d for d in dirs if not excluded(prefix + d, patterns)]
        for name in files:
            path = prefix + name
            full = Path(folder) / name
            if not excluded(path, patterns) and not full.is_symlink():
                yield path, full.stat().st_size


@functools.cache
def the_context() -> dict[str, int]:
    return dict(context_files(REPO, parse_dockerignore(DOCKERIGNORE.read_text())))


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        (".venv", ".venv", True),
        (".venv", ".venv/lib/python3.11/site.py", True),  # through its parent folder
        (".venv", "services/.venv", False),  # patterns are anchored at the context root
        ("**/__pycache__", "libs/bss/bss/__pycache__/x.pyc", True),
        ("**/__pycache__", "__pycache__/x.pyc", True),
        ("**/*.py[cod]", "gateway/gateway/a.pyc", True),
        ("**/*.py[cod]", "gateway/gateway/a.py", False),
        ("**/*.egg-info", "services/billing/bss_billing.egg-info/PKG-INFO", True),
        ("*.md", "README.md", True),
        ("*.md", "docs/a.md", False),
        ("var", "var/ci/test-sqlite.log", True),
        ("var", "services/billing/billing/variables.py", False),
    ],
)
def test_dockerignore_patterns_match_as_docker_matches_them(pattern: str, path: str, matches: bool) -> None:
    assert excluded(path, parse_dockerignore(pattern)) is matches


def test_a_negated_pattern_brings_a_file_back() -> None:
    patterns = parse_dockerignore("docs\n!docs/keep.md\n")
    assert excluded("docs/other.md", patterns)
    assert not excluded("docs/keep.md", patterns)


def test_dockerignore_keeps_out_the_virtualenv_var_git_caches_and_secrets() -> None:
    patterns = parse_dockerignore(DOCKERIGNORE.read_text())
    for path in (
        ".venv/bin/python",
        "var/billing.db",
        "var/test-artifacts/storefront.png",
        ".git/HEAD",
        "libs/bss/bss/__pycache__/kafka.cpython-311.pyc",
        ".pytest_cache/v/cache/nodeids",
        ".mypy_cache/3.11/bss/kafka.data.json",
        ".ruff_cache/CACHEDIR.TAG",
        "services/billing/bss_billing.egg-info/PKG-INFO",
        "tests/unit/deploy/test_images.py",
        "deploy/.env",
        "services/billing/.env",
        "bench/ingest.py",
    ):
        assert excluded(path, patterns), path


def test_build_context_stays_small() -> None:
    """The context every `docker build` sends: a 796 MB .venv and var/ once went into it."""
    total = sum(the_context().values())
    largest = sorted(the_context().items(), key=lambda item: -item[1])[:5]
    assert total < MAX_CONTEXT_BYTES, f"{total / 1e6:.1f} MB; largest: {largest}"


@by_name(COMPONENTS)
def test_every_file_a_dockerfile_copies_is_in_the_build_context(component: Component) -> None:
    context = the_context()
    for line, source in copy_sources(parse_dockerfile(component.dockerfile.read_text())):
        source = source.strip("/")
        sent = [path for path in context if path == source or path.startswith(source + "/")]
        assert sent, f"{component.dockerfile.relative_to(REPO)} line {line}: {source} is excluded by .dockerignore"
    package = f"{component.folder}/{component.package}"
    assert f"{package}/__main__.py" in context
    for folder in ("libs/bss", component.folder):
        assert f"{folder}/pyproject.toml" in context


def title_of(component: Component) -> str:
    found = re.search(r'image\.description="BSS suite: ([^"]+)"', component.dockerfile.read_text())
    assert found is not None, "no image description"
    return found.group(1)


def names_of(component: Component) -> list[tuple[str, str]]:
    """(placeholder, the component's value), in an order where no value is replaced inside another."""
    return [
        ("{folder}", component.folder),
        ("{title}", title_of(component)),
        ("{package}", component.package),
        ("{name}", component.name),
        ("{prefix}", component.env_prefix),
        ("{port}", str(component.port)),
    ]


def test_the_five_dockerfiles_are_one_text_with_the_names_changed() -> None:
    """Five near copies that drift are worse than one parameterised file; these cannot drift. The template is
    read off support-sla's, whose names are all distinct (its package is not its name, its folder neither)."""
    (model,) = [component for component in COMPONENTS if component.name == "support-sla"]
    template = model.dockerfile.read_text()
    for placeholder, value in names_of(model):
        template = template.replace(value, placeholder)
    assert {"{folder}", "{package}", "{name}", "{prefix}", "{port}", "{title}"} <= set(re.findall(r"\{\w+\}", template))
    for component in COMPONENTS:
        expected = template
        for placeholder, value in names_of(component):
            expected = expected.replace(placeholder, value)
        assert component.dockerfile.read_text() == expected, f"{component.name}'s Dockerfile differs beyond its names"


@by_name(COMPONENTS)
def test_every_dockerfile_builds_wheels_of_folders_that_are_packages(component: Component) -> None:
    runs = [i for i in parse_dockerfile(component.dockerfile.read_text()) if i.keyword == "RUN"]
    wheel_commands = [
        shlex.split(command)
        for run in runs
        for command in split_flags(run.args)[1].split("&&")
        if command.strip().startswith("pip wheel")
    ]
    assert wheel_commands, "no pip wheel"
    for words in wheel_commands:
        paths = [word for word in words[2:] if word.startswith("./")]
        assert paths, f"pip wheel builds no local folder: {words}"
        for path in paths:
            assert (REPO / path / "pyproject.toml").is_file(), f"{path} is not a package folder"
        if "--constraint" in words:
            assert (REPO / words[words.index("--constraint") + 1]).is_file()
    assert any(f"./{component.folder}" in words for words in wheel_commands)


@by_name(SERVICES)
def test_every_service_image_runs_its_migrations_from_the_folder_alembic_expects(component: Component) -> None:
    ini = (REPO / component.folder / "alembic.ini").read_text()
    assert re.search(r"^script_location = %\(here\)s/migrations$", ini, flags=re.MULTILINE)
    copies = {
        tuple(shlex.split(split_flags(i.args)[1])) for i in final_stage(component.dockerfile) if i.keyword == "COPY"
    }
    assert (f"{component.folder}/alembic.ini", "./alembic.ini") in copies
    assert (f"{component.folder}/migrations", "./migrations") in copies
    assert (REPO / component.folder / "migrations" / "env.py").is_file()
