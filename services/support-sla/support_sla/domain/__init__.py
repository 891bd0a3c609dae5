"""Pure support rules: business calendars, SLA due times, quotas, certification, escalation, Tier 1 program."""
