"""The catalog's HTTP API: routers and their request/response schemas."""
