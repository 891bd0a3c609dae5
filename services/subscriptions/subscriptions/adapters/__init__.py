"""Subscriptions' adapters: repositories that hand typed domain facts to the use cases, and the catalog read model."""
