"""HTTP routers and schemas of the support-sla service."""
