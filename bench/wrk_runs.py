"""wrk runs: one HTTP load run and what it printed (requests, rate, latency percentiles, errors)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass


@dataclass
class WrkRun:
    requests: int
    seconds: float
    rps: float
    non_2xx: int
    errors: int
    latency_ms: dict[str, float]


def wrk(url: str, headers: dict[str, str], *, threads: int, duration: int, connections: int) -> WrkRun:
    """One wrk run of `duration` seconds at `connections` connections (at most one thread per connection)."""
    command = ["wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{duration}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    return parse_wrk(output)


def parse_wrk(output: str) -> WrkRun:
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    if done is None:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    seconds = float(done.group(2)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[done.group(3)]
    latency = {
        f"p{pct}": _ms(float(value), unit)
        for pct, value, unit in re.findall(r"^\s+(50|75|90|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)", output, re.M)
    }
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return WrkRun(
        requests=int(done.group(1)),
        seconds=seconds,
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        errors=sum(int(n) for n in errors.groups()) if errors else 0,
        latency_ms=latency,
    )


def _ms(value: float, unit: str) -> float:
    return value * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]
