"""`python -m bench gateway`'s reference and figures: the nginx it starts, what it reports without nginx."""

from __future__ import annotations

import argparse
import os
import shutil
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench import nginx_reference
from bench.gateway_report import TARGETS, Measured, Round, report
from bench.nginx_reference import config_text, find_nginx, start_nginx
from bench.wrk_runs import WrkRun, parse_wrk
from bss.embedded_broker import free_port

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:8000/v1/ping
  1 threads and 32 connections
  Latency Distribution
     50%    5.78ms
     75%    8.01ms
     90%   13.88ms
     99%   28.85ms
  23230 requests in 10.01s, 4.01MB read
  Non-2xx or 3xx responses: 3
Requests/sec:   2320.68
"""


def test_wrk_output_is_read_into_requests_rate_latency_and_refusals() -> None:
    run = parse_wrk(WRK_OUTPUT)
    assert (run.requests, run.rps, run.non_2xx, run.errors) == (23230, 2320.68, 3, 0)
    assert run.latency_ms == {"p50": 5.78, "p75": 8.01, "p90": 13.88, "p99": 28.85}


def test_the_nginx_configuration_is_one_worker_keep_alive_upstream_and_a_buffered_access_log(tmp_path: Path) -> None:
    text = config_text(tmp_path, "127.0.0.1:9001", 9002)
    for line in [
        "worker_processes 1;",
        "server 127.0.0.1:9001;",
        "keepalive 64;",
        "listen 127.0.0.1:9002;",
        "proxy_http_version 1.1;",
        'proxy_set_header Connection "";',
        f"access_log {tmp_path}/access.log combined buffer=64k flush=1s;",
    ]:
        assert line in text


def test_without_nginx_installed_there_is_no_reference_to_find(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    assert find_nginx() is None
    monkeypatch.setattr(nginx_reference, "_CANDIDATES", ("/opt/test/nginx",))
    monkeypatch.setattr(os, "access", lambda path, mode: path == "/opt/test/nginx")
    assert find_nginx() == "/opt/test/nginx"


def measured(rps: float, p99: float, cpu_us: float = float("nan")) -> Measured:
    return Measured(WrkRun(int(rps * 10), 10.0, rps, 0, 0, {"p50": p99 / 2, "p99": p99}), cpu_us)


def one_round(gateway_cpu: float, nginx_cpu: float | None) -> Round:
    return Round(
        direct=measured(4000, 30.0),
        gateway=measured(3800, 32.0, gateway_cpu),
        nginx=None if nginx_cpu is None else measured(3900, 31.0, nginx_cpu),
        calm_direct=measured(4000, 0.5),
        calm_gateway=measured(1500, 0.9, gateway_cpu * 2),
        calm_nginx=None if nginx_cpu is None else measured(3000, 0.6, nginx_cpu),
    )


OPTIONS = argparse.Namespace(connections=32, latency_connections=1, threads=1, duration=10, latency_duration=5)


def test_the_cpu_ratio_is_the_median_of_each_rounds_gateway_over_nginx(capsys: pytest.CaptureFixture[str]) -> None:
    options = argparse.Namespace(**vars(OPTIONS), upstream="minimal", redis="")
    figures = report(options, [one_round(60, 30), one_round(50, 40), one_round(70, 35)], "nginx", "/v1/ping")
    assert figures["cpu_ratio_to_nginx"] == 2.0  # rounds 2.0, 1.25, 2.0
    assert (figures["gateway_cpu_us_per_request"], figures["nginx_cpu_us_per_request"]) == (60.0, 35.0)
    assert figures["cpu_ratio_target"] == TARGETS["cpu_ratio_to_nginx"]
    assert figures["targets_met"] is False
    assert "gateway CPU / nginx CPU" in capsys.readouterr().out


def test_without_the_reference_the_cpu_target_is_skipped_and_said_so(capsys: pytest.CaptureFixture[str]) -> None:
    options = argparse.Namespace(**vars(OPTIONS), upstream="minimal", redis="")
    reference = "nginx not installed: the CPU reference is skipped"
    figures = report(options, [one_round(60, None), one_round(50, None)], reference, "/v1/ping")
    assert figures["cpu_ratio_to_nginx"] is None
    assert figures["nginx_cpu_us_per_request"] is None
    assert figures["reference"] == reference
    assert figures["targets_met"] is None  # the other targets are met, but not every target was measured
    out = capsys.readouterr().out
    assert "skipped" in out
    assert reference in out


class Pong(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the benchmark's upstream

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-length", "4")
        self.end_headers()
        self.wfile.write(b"pong")

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.mark.skipif(find_nginx() is None, reason="nginx is not installed")
def test_the_reference_nginx_proxies_to_the_upstream_and_its_worker_cpu_is_read(tmp_path: Path) -> None:
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Pong)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    binary = find_nginx()
    assert binary is not None
    nginx = start_nginx(binary, f"127.0.0.1:{upstream.server_address[1]}", free_port(), tmp_path / "nginx")
    try:
        body, deadline = b"", time.monotonic() + 10
        while not body and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{nginx.url}/v1/ping", timeout=2) as response:
                    body = response.read()
            except OSError:
                time.sleep(0.05)  # nginx is still starting
        assert body == b"pong", nginx.log()
        assert len(nginx.workers()) == 1
        assert nginx.cpu_seconds() >= 0.0
    finally:
        nginx.stop()
        upstream.shutdown()
        upstream.server_close()
