"""Billing service.

Usage ingestion and rating, monthly invoices with the Minimum Commitment Amount Fee, multi-currency, credit
notes and consumption views.
"""
