"""Support's adapters: the reseller read model, SQL read models (Tier 1 reports), the due SLA targets (dialect)."""
