"""`make apicheck`: the suite answers as its OpenAPI document says, checked by schemathesis on a throwaway suite.

Starts the suite as `make run` does (embedded broker, SQLite), but on free ports and with its databases and logs
in a temporary directory, so a developer's var/ and running suite are left alone; waits for the gateway's
/readyz; runs schemathesis against the gateway's merged /openapi.json with the development admin key; stops the
suite. Schemathesis calls every operation, destructive ones included (month close, cancellations, key
revocation): that is why the suite is a fresh one.

Fails (exit 1) on any 5xx and on any answer its operation does not document: status code, media type, headers or
body schema. Exit 2 when the suite cannot start. Extra arguments go to `schemathesis run` (`--seed 1`, `-n 5`).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bss.embedded_broker import free_port
from bss.settings import ConfigurationError
from deploy.local.run import GATEWAY, ROOT, SERVICES, Runner, answers
from gateway.settings import DEV_BOOTSTRAP_ADMIN_KEY

EXAMPLES_PER_OPERATION = 25
JUNIT_REPORT = ROOT / "var" / "test-artifacts" / "apicheck-junit.xml"
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
# The gateway's upstream setting for each service (GATEWAY_SUPPORT_URL for support-sla).
UPSTREAM_SETTING = {
    "catalog": "CATALOG",
    "subscriptions": "SUBSCRIPTIONS",
    "billing": "BILLING",
    "support-sla": "SUPPORT",
}


def suite_env(data: Path) -> dict[str, str]:
    """`make run`'s environment on free ports, with every database in `data`."""
    env = dict(os.environ)
    env["BSS_BROKER_PORT"] = str(free_port())
    for service in SERVICES:
        port = free_port()
        env[f"{service.prefix}PORT"] = str(port)
        env[f"{service.prefix}DATABASE_URL"] = f"sqlite+aiosqlite:///{data / service.module}.db"
        env[f"GATEWAY_{UPSTREAM_SETTING[service.name]}_URL"] = f"http://127.0.0.1:{port}"
    env[f"{GATEWAY.prefix}PORT"] = str(free_port())
    env["GATEWAY_DATABASE_URL"] = f"sqlite+aiosqlite:///{data / 'gateway'}.db"
    env["GATEWAY_BOOTSTRAP_ADMIN_KEY"] = DEV_BOOTSTRAP_ADMIN_KEY
    # Schemathesis is one key calling fast: its answers should be the operations', not the rate limiter's.
    env["GATEWAY_RATE_LIMIT_PER_S"] = env["GATEWAY_RATE_LIMIT_BURST"] = "100000"
    env["BILLING_MONTH_CLOSE_SCHEDULER"] = "false"
    env.pop("BSS_KAFKA_BOOTSTRAP_SERVERS", None)
    env.pop("BSS_POSTGRES_URL", None)
    return env


def wait_ready(gateway_url: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not answers(f"{gateway_url}/readyz"):
        if time.monotonic() > deadline:
            raise ConfigurationError(f"the suite was not ready (gateway /readyz) within {timeout_s:.0f}s")
        time.sleep(0.5)


def schemathesis(gateway_url: str, workdir: Path, extra: list[str]) -> int:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{gateway_url}/openapi.json",
        f"--checks={','.join(CHECKS)}",
        f"--max-examples={EXAMPLES_PER_OPERATION}",
        f"--header=X-API-Key: {DEV_BOOTSTRAP_ADMIN_KEY}",
        "--workers=1",  # two threads crash CPython 3.11's ast.parse under hypothesis now and then
        "--request-timeout=30",
        "--generation-database=none",
        "--no-color",
        "--report=junit",
        f"--report-junit-path={JUNIT_REPORT}",
        *extra,
    ]
    print(f"\n$ schemathesis run {gateway_url}/openapi.json --checks={','.join(CHECKS)} {' '.join(extra)}", flush=True)
    # Run from the throwaway directory: schemathesis keeps a .schemathesis/ cache where it runs.
    return subprocess.run(command, cwd=workdir, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    extra = list(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    data = Path(tempfile.mkdtemp(prefix="bss-apicheck-"))
    env = suite_env(data)
    runner = Runner(env, logs=data / "log")
    gateway_url = f"http://127.0.0.1:{env[f'{GATEWAY.prefix}PORT']}"
    started = time.monotonic()
    code = 2
    try:
        print(f"Starting a throwaway suite in {data}:")
        runner.start()
        wait_ready(gateway_url)
        code = schemathesis(gateway_url, data, extra)
        return code
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        runner.stop()
        if code == 0:
            shutil.rmtree(data, ignore_errors=True)
        else:
            print(f"The suite's logs are kept in {data / 'log'}")
        print(f"make apicheck took {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
