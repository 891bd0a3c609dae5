"""`python -m bench` runs every benchmark; `python -m bench NAME [ARGS...]` runs one, passing ARGS to it.

A benchmark is any module of this package that defines `main()`. Each runs in its own process, so its peak
RSS is its own and one benchmark's leftovers (threads, metrics, event-loop state) never skew the next.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


def benchmark_names() -> list[str]:
    """The modules of this package that define `main()`, in name order."""
    package_dir = Path(__file__).parent
    names = []
    for module in sorted(pkgutil.iter_modules([str(package_dir)]), key=lambda info: info.name):
        if module.name.startswith("_") or module.ispkg:
            continue
        if callable(getattr(importlib.import_module(f"bench.{module.name}"), "main", None)):
            names.append(module.name)
    return names


def run_one(name: str, args: Sequence[str]) -> int:
    print(f"=== bench {name} ===", flush=True)
    return subprocess.run([sys.executable, "-m", f"bench.{name}", *args], check=False).returncode


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    available = benchmark_names()
    if args and args[0] in ("-h", "--help"):
        print(f"usage: python -m bench [NAME [ARGS...]]\nbenchmarks: {', '.join(available)}")
        return 0
    if not args:
        codes = [run_one(name, []) for name in available]
        failed = [name for name, code in zip(available, codes, strict=True) if code != 0]
        if failed:
            print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1 if failed else 0
    name, rest = args[0], args[1:]
    if name not in available:
        print(f"no benchmark named {name!r}; available: {', '.join(available)}", file=sys.stderr)
        return 2
    return run_one(name, rest)


if __name__ == "__main__":
    sys.exit(main())
