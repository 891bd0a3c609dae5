"""`python -m gateway` serves the gateway."""

from __future__ import annotations

import sys

import uvicorn
from pydantic import ValidationError

from bss.embedded_broker import port_in_use
from bss.settings import ConfigurationError
from gateway.main import create_app
from gateway.settings import get_settings


def main() -> None:
    try:
        settings = get_settings()
    except (ConfigurationError, ValidationError) as exc:
        print(f"error: gateway: {exc}", file=sys.stderr)
        sys.exit(2)
    if port_in_use("127.0.0.1" if settings.host == "0.0.0.0" else settings.host, settings.port):
        print(f"error: gateway: port {settings.port} is already taken; set GATEWAY_PORT", file=sys.stderr)
        sys.exit(2)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
        date_header=False,
        lifespan="on",
    )


if __name__ == "__main__":
    main()
