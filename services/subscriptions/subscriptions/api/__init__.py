"""HTTP routes of the subscriptions service (thin: parse, call a use case, shape the answer)."""
