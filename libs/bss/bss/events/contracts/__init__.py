"""Version 1 event contracts, one module per producing service (catalog, subscriptions, billing, support)."""
