"""`make demo` / `python -m deploy.demo`: a month in the life of a distributor, printed as it happens.

Talks to the gateway only. When nothing answers on the gateway URL it starts the suite itself (as `make run`
does) and stops it at the end. Exit codes: 0 done, 1 the suite answered something unexpected, 2 bad setup.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import signal
import sys
import time
from datetime import UTC, datetime

import httpx

from bss.settings import ConfigurationError
from deploy.demo.gateway_calls import DemoError, expect
from deploy.demo.month_tables import month_text
from deploy.demo.progress import ProgressBar
from deploy.demo.scenario import Month, demo_period, run_month
from deploy.demo.suite import start_suite, suite_answers
from deploy.local.run import Runner
from gateway.settings import DEV_BOOTSTRAP_ADMIN_KEY

DEFAULT_URL = "http://127.0.0.1:8000"


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.demo", description=__doc__.splitlines()[0] if __doc__ else ""
    )
    parser.add_argument(
        "--gateway-url",
        default=os.environ.get("BSS_DEMO_GATEWAY_URL", DEFAULT_URL),
        help=f"the suite's gateway (env BSS_DEMO_GATEWAY_URL; default {DEFAULT_URL})",
    )
    parser.add_argument(
        "--admin-key",
        default=os.environ.get("BSS_DEMO_ADMIN_KEY", DEV_BOOTSTRAP_ADMIN_KEY),
        help="an admin API key (env BSS_DEMO_ADMIN_KEY; default the embedded development key)",
    )
    return parser.parse_args(argv)


async def demo(gateway_url: str, admin_key: str) -> None:
    period = demo_period(datetime.now(UTC).date())
    headers = {"X-API-Key": admin_key}
    async with httpx.AsyncClient(base_url=gateway_url, headers=headers, timeout=30) as admin:
        expect(await admin.get("/gateway/v1/keys", params={"limit": 1}), 200, "check the admin key")
        print(f"\nA month in the life of the distributor: {period:%B %Y} (the month before today), via {gateway_url}")
        month = await run_month(admin, period, say=print, progress=ProgressBar())
    print("\n" + month_text(month))
    print(next_steps(month, gateway_url, admin_key))


def next_steps(month: Month, gateway_url: str, admin_key: str) -> str:
    """What to do next: a reseller key for one of the month's resellers, and the pages to open with it."""
    reseller = next((r for r in month.resellers.values() if r.invoice), next(iter(month.resellers.values())))
    body = json.dumps({"name": f"storefront of {reseller.legal_name}", "role": "reseller", "tenant_id": reseller.id})
    return (
        f"\nSee {reseller.legal_name}'s month as the reseller does. Create its key:\n"
        f"  curl -s -X POST {gateway_url}/gateway/v1/keys -H {shlex.quote('X-API-Key: ' + admin_key)} "
        f"-H 'Content-Type: application/json' -d {shlex.quote(body)}\n"
        f'then open {gateway_url}/storefront and sign in with the "token" it prints; '
        f"the distributor's month is at {gateway_url}/storefront/admin (sign in with the admin key)."
    )


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    # Children inherit an ignored SIGINT from a shell that ran us in the background; restore Ctrl-C for them.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    started = time.monotonic()
    runner: Runner | None = None
    try:
        if not suite_answers(args.gateway_url):
            print(f"Nothing answers at {args.gateway_url}: starting the suite for the demo (stopped at the end).")
            runner = start_suite(args.gateway_url, args.admin_key)
        asyncio.run(demo(args.gateway_url, args.admin_key))
        return 0
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (DemoError, httpx.HTTPError) as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nInterrupted.")
        return 130
    finally:
        if runner is not None:
            print("\nStopping the suite the demo started ...")
            runner.stop()
        print(f"\nmake demo took {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
