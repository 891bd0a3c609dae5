"""The limits on one client connection: read from `GatewaySettings`, enforced by `gateway.server` (apart from the
server module so that the settings need not import the proxy)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """What one client connection may send, and how slowly (`GatewaySettings` documents each)."""

    max_head_bytes: int = 16 * 1024
    max_headers: int = 100
    max_url_bytes: int = 8 * 1024
    head_timeout_s: float = 10.0
    idle_timeout_s: float = 5.0
