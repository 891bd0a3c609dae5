"""`make demo`: a month in the life of a distributor, end to end, through the gateway only.

Resellers in several countries and currencies register, order (a trial, a ramp-up, a refusal by the Tier 1
region rule), report a month of usage for their customers, change tier, open support tickets; the month is
closed and its invoices and the Tier 1 support reports are printed. `scenario.run_month` is the story; the
e2e test `tests/e2e/test_month_scenario.py` runs the same story and checks every amount by hand.
"""
