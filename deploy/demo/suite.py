"""The suite the demo talks to: the one answering on the gateway URL, or one it starts with `make run`'s
runner (deploy/local/run.py) and stops at the end."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from bss.settings import ConfigurationError
from deploy.local.run import GATEWAY, Runner, answers

LOCAL_HOSTS = ("127.0.0.1", "localhost")


def suite_answers(gateway_url: str) -> bool:
    return answers(f"{gateway_url.rstrip('/')}/healthz")


def start_suite(gateway_url: str, admin_key: str) -> Runner:
    """Start broker, services and gateway as `make run` does, with the gateway on the URL's port and the demo's
    admin key. The month-close scheduler is off: the demo closes its month itself, and a scheduled close of
    the same month while usage still streams would invoice it early (the late usage would go to next month)."""
    url = urlsplit(gateway_url)
    if url.hostname not in LOCAL_HOSTS:
        raise ConfigurationError(f"nothing answers at {gateway_url}; the demo starts a suite on this machine only")
    env = dict(os.environ)
    env[f"{GATEWAY.prefix}PORT"] = str(url.port or GATEWAY.port)
    env[f"{GATEWAY.prefix}BOOTSTRAP_ADMIN_KEY"] = admin_key
    env["BILLING_MONTH_CLOSE_SCHEDULER"] = "false"
    runner = Runner(env)
    try:
        runner.start()
    except BaseException:
        runner.stop()
        raise
    return runner
