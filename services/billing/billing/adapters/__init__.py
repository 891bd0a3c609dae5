"""Billing's adapters: the ledger and aggregate stores, read-model queries, wire formats and document renderings."""
