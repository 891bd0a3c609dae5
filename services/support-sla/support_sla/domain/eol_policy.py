"""End-of-life policy (seed 002): only builds no older than two prior released versions are supported."""

from __future__ import annotations

from collections.abc import Sequence

SUPPORTED_PRIOR_RELEASES = 2


def version_key(version: str) -> tuple[int, ...]:
    """A version string as comparable numbers; `ValueError` if it is not dotted digits."""
    parts = version.strip().split(".")
    if not parts or not all(part.isdigit() for part in parts):
        raise ValueError(f"'{version}' is not a dotted version number")
    return tuple(int(part) for part in parts)


def release_of(build: str, releases: Sequence[str]) -> str | None:
    """The newest release at or below `build` (a build belongs to the release it was built from)."""
    key = version_key(build)
    candidates = [r for r in releases if version_key(r) <= key]
    return max(candidates, key=version_key) if candidates else None


def is_supported(build: str, releases: Sequence[str], *, prior: int = SUPPORTED_PRIOR_RELEASES) -> bool:
    """Supported when its release is the latest or one of the `prior` releases before it (seed 002)."""
    ordered = sorted(releases, key=version_key)
    release = release_of(build, ordered)
    return release is not None and release in ordered[-(prior + 1) :]
