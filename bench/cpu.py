"""CPU time of processes, from psutil's counters: user plus system seconds."""

from __future__ import annotations

from collections.abc import Callable

import psutil


def cpu_seconds(process: psutil.Process) -> float:
    """The CPU seconds `process` has used so far (user and system)."""
    times = process.cpu_times()
    return float(times.user + times.system)


class CpuMeter:
    """CPU seconds used by named groups of processes between `start()` and `stop()` (psutil counters).

    A group is found again at `stop()`: a process that started in between (a PostgreSQL backend forked for a
    pool's new connection) counts in full. One that exited in between is missed (pools keep their connections).
    """

    def __init__(self, groups: dict[str, Callable[[], list[int]]]) -> None:
        self._groups = groups
        self._before: dict[str, dict[int, float]] = {}
        self.used: dict[str, float] = {}

    @staticmethod
    def _cpu(pids: list[int]) -> dict[int, float]:
        seconds: dict[int, float] = {}
        for pid in pids:
            try:
                seconds[pid] = cpu_seconds(psutil.Process(pid))
            except psutil.NoSuchProcess:
                continue
        return seconds

    def start(self) -> None:
        self._before = {name: self._cpu(find()) for name, find in self._groups.items()}

    def stop(self) -> None:
        self.used = {}
        for name, find in self._groups.items():
            before = self._before[name]
            now = self._cpu(find())
            self.used[name] = sum(seconds - before.get(pid, 0.0) for pid, seconds in now.items())


def postgres_processes(database: str) -> tuple[list[int], list[int]]:
    """The local PostgreSQL server's processes that work for `database`, split in two: (its backends, with their
    parallel workers; the server's own processes: the postmaster, WAL writer, checkpointer, background writer...).

    Backends of other databases are left out, so another client of the same server does not count here; the
    server's own processes serve every database, so they are only this run's on an otherwise idle server.
    """
    backends: list[int] = []
    shared: list[int] = []
    titles: dict[int, str] = {}
    for process in psutil.process_iter(["name", "cmdline"]):
        if process.info["name"] not in {"postgres", "postmaster"}:
            continue
        titles[process.pid] = " ".join(process.info["cmdline"] or ())
    for pid, title in titles.items():
        words = title.split()
        if database in words:
            backends.append(pid)
        elif not _is_backend(title):
            shared.append(pid)
    leaders = {str(pid) for pid in backends}
    for pid, title in titles.items():
        if "parallel worker for PID" in title and title.split()[-1] in leaders:
            backends.append(pid)
            shared.remove(pid)
    return backends, shared


def _is_backend(title: str) -> bool:
    """Whether a PostgreSQL process title is a client backend's or a parallel worker's (`user database host ...`)."""
    return "(" in title or "[local]" in title or "parallel worker" in title
