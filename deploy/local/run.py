"""`make run`: the whole suite on one machine, on the embedded default.

Starts the embedded Kafka-compatible broker (unless BSS_KAFKA_BOOTSTRAP_SERVERS names a Kafka), the four
services (SQLite files in var/, unless BSS_POSTGRES_URL names a PostgreSQL server, where one database per
service is created) and the gateway; waits until each answers; prints where everything is. Ctrl-C stops
everything in reverse order. Bad configuration ends with one clear line and exit code 2.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bss.embedded_broker import EmbeddedBroker, port_in_use
from bss.settings import ConfigurationError
from gateway.settings import DEV_BOOTSTRAP_ADMIN_KEY

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var"
LOGS = VAR / "log"


@dataclass(frozen=True)
class Component:
    name: str
    module: str
    prefix: str
    port: int


SERVICES = (
    Component("catalog", "catalog", "CATALOG_", 8001),
    Component("subscriptions", "subscriptions", "SUBSCRIPTIONS_", 8002),
    Component("billing", "billing", "BILLING_", 8003),
    Component("support-sla", "support_sla", "SUPPORT_", 8004),
)
GATEWAY = Component("gateway", "gateway", "GATEWAY_", 8000)


class Runner:
    def __init__(self, env: dict[str, str], *, logs: Path = LOGS) -> None:
        self.env = env
        self.logs = logs
        self.broker: EmbeddedBroker | None = None
        self.processes: list[tuple[Component, subprocess.Popen[bytes]]] = []
        self.envs: dict[str, dict[str, str]] = {}

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        self._check_ports()
        kafka = self.env.get("BSS_KAFKA_BOOTSTRAP_SERVERS")
        if not kafka:
            port = int(self.env.get("BSS_BROKER_PORT", "19092"))
            self.broker = EmbeddedBroker(port=port, log_path=self.logs / "broker.log")
            self.broker.start()
            kafka = self.broker.bootstrap_servers
            print(f"  broker        embedded Kafka-compatible broker on {kafka} (memory only)")
        else:
            print(f"  broker        Apache Kafka at {kafka}")
        base_env = {**self.env, "BSS_KAFKA_BOOTSTRAP_SERVERS": kafka}
        postgres = self.env.get("BSS_POSTGRES_URL")
        for service in SERVICES:
            env = dict(base_env)
            if postgres:
                env[f"{service.prefix}DATABASE_URL"] = ensure_database(postgres, f"bss_{service.module}")
            self._spawn(service, env)
        self._spawn(GATEWAY, base_env)
        for component, _ in self.processes:
            self._wait_healthy(component)
        self._seed_catalog()

    def _seed_catalog(self) -> None:
        """Load the Acronis catalog (idempotent: a second run changes nothing); the catalog's relay publishes it."""
        result = subprocess.run(
            [sys.executable, "-m", "catalog.seed"],
            cwd=ROOT,
            env=self.envs["catalog"],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise ConfigurationError(f"seeding the catalog failed:\n{(result.stderr or result.stdout).strip()}")
        print("  catalog seed  the Acronis contract tiers, SKUs and price books are loaded")

    def _check_ports(self) -> None:
        for component in (*SERVICES, GATEWAY):
            port = int(self.env.get(f"{component.prefix}PORT", component.port))
            if port_in_use("127.0.0.1", port):
                raise ConfigurationError(
                    f"port {port} for {component.name} is already taken (is the suite already running?); "
                    f"stop what uses it or set {component.prefix}PORT"
                )

    def _spawn(self, component: Component, env: dict[str, str]) -> None:
        self.envs[component.name] = env
        log = open(self.logs / f"{component.name}.log", "ab")  # noqa: SIM115 - closed when the child exits
        process = subprocess.Popen(
            [sys.executable, "-m", component.module], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        self.processes.append((component, process))

    def _wait_healthy(self, component: Component, timeout_s: float = 60.0) -> None:
        port = int(self.env.get(f"{component.prefix}PORT", component.port))
        process = dict((c.name, p) for c, p in self.processes)[component.name]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ConfigurationError(
                    f"{component.name} exited with code {process.returncode} at start:\n"
                    + _tail(self.logs / f"{component.name}.log")
                )
            if answers(f"http://127.0.0.1:{port}/healthz"):
                print(f"  {component.name:<13} http://127.0.0.1:{port}")
                return
            time.sleep(0.2)
        raise ConfigurationError(f"{component.name} did not answer /healthz within {timeout_s:.0f}s")

    def stop(self) -> None:
        for component, process in reversed(self.processes):
            if process.poll() is None:
                # SIGTERM, not SIGINT: a suite started in the background (`make run &`) has SIGINT ignored in
                # its children, and uvicorn shuts down as gracefully on SIGTERM.
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                print(f"  {component.name} did not stop in time; killing it")
                process.kill()
                process.wait()
        self.processes.clear()
        if self.broker is not None:
            self.broker.stop()

    def watch(self) -> int:
        """Wait until Ctrl-C or a component dies; returns the exit code."""
        while True:
            for component, process in self.processes:
                if process.poll() is not None:
                    print(f"\n{component.name} stopped unexpectedly (code {process.returncode}):")
                    print(_tail(self.logs / f"{component.name}.log"))
                    return 1
            if self.broker is not None and not self.broker.running:
                print(f"\nthe embedded broker stopped unexpectedly; see {self.logs / 'broker.log'}")
                return 1
            time.sleep(0.5)


def ensure_database(server_url: str, name: str) -> str:
    """Create database `name` on the PostgreSQL server if missing; return its async URL."""
    import asyncpg

    base = server_url.replace("postgresql+asyncpg://", "postgresql://").rstrip("/")
    dsn_root = base.rsplit("/", 1)[0] if base.count("/") > 2 else base

    async def create() -> None:
        try:
            connection = await asyncpg.connect(dsn_root + "/postgres", timeout=10)
        except (OSError, asyncpg.PostgresError) as exc:
            raise ConfigurationError(f"cannot reach PostgreSQL at {dsn_root} ({exc}); check BSS_POSTGRES_URL") from exc
        try:
            exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(create())
    return dsn_root.replace("postgresql://", "postgresql+asyncpg://") + "/" + name


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def main() -> int:
    print("Starting the BSS suite (Ctrl-C stops it):")
    runner = Runner(dict(os.environ))
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    # Started in the background (`make run &`), a shell leaves SIGINT ignored and Python then installs no
    # handler: take it back, so `kill -INT` stops the suite as Ctrl-C does.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        runner.start()
        gateway = f"http://127.0.0.1:{runner.env.get('GATEWAY_PORT', GATEWAY.port)}"
        admin_key = runner.env.get("GATEWAY_BOOTSTRAP_ADMIN_KEY", DEV_BOOTSTRAP_ADMIN_KEY)
        print(
            f"\nThe suite is up.\n  gateway       {gateway}\n  API docs      {gateway}/docs\n"
            f"  storefront    {gateway}/storefront  (resellers; distributor view at /storefront/admin)\n"
            f"  admin key     {admin_key}  (X-API-Key; create real keys at POST /gateway/v1/keys)\n"
            f"  logs          {LOGS}/\n"
        )
        return runner.watch()
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nStopping...")
        return 0
    finally:
        runner.stop()
        print("Stopped.")


if __name__ == "__main__":
    sys.exit(main())
