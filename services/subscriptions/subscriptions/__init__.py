"""Subscriptions service.

Resellers, orders, trials, tier upgrades and downgrades, ramp-up periods, suspension and cancellation.
"""
