"""API gateway: the one public entry of the suite (routing, identity, rate limits, merged OpenAPI docs)."""
