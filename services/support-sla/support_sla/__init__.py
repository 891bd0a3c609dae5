"""Support SLA service.

Tickets with severities A-D and SLA clocks on business calendars, incident quotas, certification, the Tier 1
support program and its reports.
"""
