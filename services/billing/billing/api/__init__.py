"""The billing HTTP API: usage ingestion, invoices, month close and consumption views."""
