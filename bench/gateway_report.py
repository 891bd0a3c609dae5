"""The figures of `bench.gateway`: its rounds of runs, their medians, the targets (issue 23) and the JSON line."""

from __future__ import annotations

import argparse
import math
import os
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bench.reporting import print_table, rounded
from bench.wrk_runs import WrkRun

TARGETS = {"cpu_ratio_to_nginx": 1.8, "rps_ratio": 0.9, "p99_added_ms": 1.0}


@dataclass
class Measured:
    """One wrk run through a proxy (or straight to the service: no CPU figure) and the proxy's CPU per request."""

    run: WrkRun
    cpu_us: float = float("nan")


@dataclass
class Round:
    direct: Measured
    gateway: Measured
    nginx: Measured | None  # None: no reference
    calm_direct: Measured  # `--latency-connections`: below saturation, so latency is service time, not queueing
    calm_gateway: Measured
    calm_nginx: Measured | None

    def runs(self) -> list[tuple[str, Measured | None]]:
        return [
            ("direct", self.direct),
            ("gateway", self.gateway),
            ("nginx", self.nginx),
            ("direct, calm", self.calm_direct),
            ("gateway, calm", self.calm_gateway),
            ("nginx, calm", self.calm_nginx),
        ]

    @property
    def cpu_ratio(self) -> float:
        """The gateway's CPU per proxied request over nginx's, in this round."""
        if self.nginx is None or not self.nginx.cpu_us:
            return float("nan")
        return self.gateway.cpu_us / self.nginx.cpu_us

    @property
    def ratio(self) -> float:
        return _rps_ratio(self.gateway, self.direct)

    @property
    def p99_added_ms(self) -> float:
        """What the gateway adds to the p99 below saturation (the target's figure)."""
        return _p99(self.calm_gateway) - _p99(self.calm_direct)

    @property
    def nginx_p99_added_ms(self) -> float:
        return _p99(self.calm_nginx) - _p99(self.calm_direct) if self.calm_nginx else float("nan")

    @property
    def p99_added_saturated_ms(self) -> float:
        """The same at `--connections`: mostly the queue in front of two shared cores, printed beside it."""
        return _p99(self.gateway) - _p99(self.direct)


def _rps_ratio(through: Measured | None, direct: Measured) -> float:
    if through is None or not direct.run.rps:
        return float("nan")
    return through.run.rps / direct.run.rps


def _p99(measured: Measured | None) -> float:
    return measured.run.latency_ms.get("p99", float("nan")) if measured else float("nan")


def report(options: argparse.Namespace, rounds: list[Round], reference: str, path: str) -> dict[str, Any]:
    """Print the runs and the targets; the figures for the JSON line."""
    busy, calm = options.connections, options.latency_connections
    rows = [
        (
            f"{number}: {name}, {calm if 'calm' in name else busy} conn",
            one.run.requests,
            one.run.rps,
            *(one.run.latency_ms.get(p, float("nan")) for p in ("p50", "p90", "p99")),
            one.run.non_2xx,
            one.cpu_us,
        )
        for number, each_round in enumerate(rounds, start=1)
        for name, one in each_round.runs()
        if one is not None
    ]
    print_table(
        f"GET {path} ({options.upstream} upstream), "
        f"wrk -t{options.threads} -c{busy} -d{options.duration}s and -c{calm} -d{options.latency_duration}s, "
        f"{len(rounds)} rounds",
        ["round: run", "requests", "rps", "p50 ms", "p90 ms", "p99 ms", "non-2xx", "proxy CPU us/req"],
        rows,
    )
    figures = _figures(rounds)
    has_nginx = not math.isnan(figures["cpu_ratio"])
    met = {
        "cpu_ratio_to_nginx": figures["cpu_ratio"] <= TARGETS["cpu_ratio_to_nginx"] if has_nginx else None,
        "rps_ratio": figures["ratio"] >= TARGETS["rps_ratio"],
        "p99_added_ms": figures["p99_added"] <= TARGETS["p99_added_ms"],
    }
    _print_targets(options, rounds, figures, met, reference)

    def median_of(values: Iterable[float]) -> int | float | None:
        return rounded(statistics.median(values), 3)

    return {
        "bench": "gateway",
        "rounds": len(rounds),
        "gateway_cpu_us_per_request": rounded(figures["cpu"], 1),
        "nginx_cpu_us_per_request": rounded(figures["nginx_cpu"], 1),
        "cpu_ratio_to_nginx": rounded(figures["cpu_ratio"], 2),
        "cpu_ratio_target": TARGETS["cpu_ratio_to_nginx"],
        "reference": reference,
        "gateway_cpu_us_per_request_calm": rounded(figures["calm_cpu"], 1),
        "nginx_cpu_us_per_request_calm": rounded(figures["calm_nginx_cpu"], 1),
        "direct_rps": rounded(statistics.median(one.direct.run.rps for one in rounds)),
        "gateway_rps": rounded(statistics.median(one.gateway.run.rps for one in rounds)),
        "nginx_rps": rounded(_median_or_nan(one.nginx.run.rps for one in rounds if one.nginx)),
        "rps_ratio": rounded(figures["ratio"], 3),
        "nginx_rps_ratio": rounded(figures["nginx_ratio"], 3),
        "p99_added_ms": rounded(figures["p99_added"], 3),
        "nginx_p99_added_ms": rounded(figures["nginx_p99_added"], 3),
        "p99_added_saturated_ms": rounded(figures["p99_added_saturated"], 3),
        "calm_direct_p99_ms": median_of(_p99(one.calm_direct) for one in rounds),
        "calm_gateway_p99_ms": median_of(_p99(one.calm_gateway) for one in rounds),
        "calm_nginx_p99_ms": rounded(_median_or_nan(_p99(one.calm_nginx) for one in rounds if one.calm_nginx), 3),
        "latency_connections": calm,
        "upstream": options.upstream,
        "rate_limits": "redis" if options.redis else "in process",
        "connections": busy,
        "duration_s": options.duration,
        "load_average_1m": rounded(os.getloadavg()[0], 2),
        "targets_met": None if None in met.values() else all(met.values()),
    }


def _figures(rounds: list[Round]) -> dict[str, float]:
    return {
        "cpu": statistics.median(one.gateway.cpu_us for one in rounds),
        "nginx_cpu": _median_or_nan(one.nginx.cpu_us for one in rounds if one.nginx),
        "cpu_ratio": _median_or_nan(one.cpu_ratio for one in rounds if one.nginx),
        "calm_cpu": statistics.median(one.calm_gateway.cpu_us for one in rounds),
        "calm_nginx_cpu": _median_or_nan(one.calm_nginx.cpu_us for one in rounds if one.calm_nginx),
        "ratio": statistics.median(one.ratio for one in rounds),
        "nginx_ratio": _median_or_nan(_rps_ratio(one.nginx, one.direct) for one in rounds if one.nginx),
        "p99_added": statistics.median(one.p99_added_ms for one in rounds),
        "nginx_p99_added": _median_or_nan(one.nginx_p99_added_ms for one in rounds if one.calm_nginx),
        "p99_added_saturated": statistics.median(one.p99_added_saturated_ms for one in rounds),
    }


def _median_or_nan(values: Iterable[float]) -> float:
    listed = list(values)
    return statistics.median(listed) if listed else float("nan")


def _print_targets(
    options: argparse.Namespace,
    rounds: list[Round],
    figures: dict[str, float],
    met: dict[str, bool | None],
    reference: str,
) -> None:
    busy, calm = options.connections, options.latency_connections

    def shown(value: bool | None) -> bool | str:
        return "skipped" if value is None else value

    print_table(
        f"Targets (issue 23), medians over the rounds; reference: {reference} "
        "(the rps ratio needs an otherwise idle machine)",
        ["figure", "median", "per round", "target", "met"],
        [
            ("gateway CPU us per proxied request", figures["cpu"], _each(one.gateway.cpu_us for one in rounds), "", ""),
            ("nginx CPU us per proxied request", figures["nginx_cpu"], _each_nginx(rounds, "cpu_us"), "", ""),
            (
                "gateway CPU / nginx CPU",
                figures["cpu_ratio"],
                _each(one.cpu_ratio for one in rounds),
                f"<= {TARGETS['cpu_ratio_to_nginx']}",
                shown(met["cpu_ratio_to_nginx"]),
            ),
            (f"gateway CPU us per request, {calm} conn", figures["calm_cpu"], "", "", ""),
            (f"nginx CPU us per request, {calm} conn", figures["calm_nginx_cpu"], "", "", ""),
            (
                "rps through gateway / direct",
                figures["ratio"],
                _each(one.ratio for one in rounds),
                ">= 0.9",
                met["rps_ratio"],
            ),
            ("rps through nginx / direct", figures["nginx_ratio"], "", "", ""),
            (
                f"p99 added ms by the gateway, {calm} conn (below saturation)",
                figures["p99_added"],
                _each(one.p99_added_ms for one in rounds),
                f"<= {TARGETS['p99_added_ms']:g}",
                met["p99_added_ms"],
            ),
            (f"p99 added ms by nginx, {calm} conn", figures["nginx_p99_added"], "", "", ""),
            (
                f"p99 added ms by the gateway, {busy} conn (saturated: mostly queueing)",
                figures["p99_added_saturated"],
                _each(one.p99_added_saturated_ms for one in rounds),
                "",
                "",
            ),
        ],
    )


def _each(values: Iterable[float]) -> str:
    return " / ".join(f"{value:.2f}" for value in values)


def _each_nginx(rounds: list[Round], field: str) -> str:
    return _each(getattr(one.nginx, field) for one in rounds if one.nginx)
