"""HTTP building blocks every service shares: caller identity, idempotency keys, pagination, backdating."""
