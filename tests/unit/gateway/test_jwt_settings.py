"""JWT settings that would weaken token checks are refused when the gateway starts."""

from __future__ import annotations

from typing import Any

import pytest

from bss.settings import ConfigurationError
from gateway.settings import GatewaySettings


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"jwt_key": "x" * 40, "jwt_algorithms": ["HS256", "RS256"]}, "mixes HMAC and public-key"),
        ({"jwt_key": "x" * 40, "jwt_algorithms": ["RS256"]}, "PEM public key"),
        ({"jwt_key": "too-short", "jwt_algorithms": ["HS256"]}, "shorter than"),
        ({"jwt_key": "x" * 40, "jwt_algorithms": ["none"]}, "unknown"),
    ],
)
def test_unsafe_jwt_settings_are_refused_at_start(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        GatewaySettings(**settings)
