"""The support operations' examples, in the order they run (see runner.py)."""

from __future__ import annotations

from support_sla.api import examples as support_examples
from tests.e2e.openapi_examples.runner import Step

SUPPORT = "/api/v1/support"
TICKET = f"{SUPPORT}/tickets/{{ticket_id}}"
SETTINGS = f"{SUPPORT}/settings"

# Run in this order, after the services listed before this one in test_openapi_examples.STORY.
STEPS: list[Step] = [
    # A ticket for the example reseller, once support has learnt of it from subscriptions' events.
    Step(f"POST {SUPPORT}/tickets", binds={support_examples.TICKET_ID: "id"}, eventually=True),
    # A closed ticket of 2025 from another system: what the as-of reads show.
    # The import answers 200 whatever becomes of its tickets.
    Step(
        f"POST {SUPPORT}/imports/tickets",
        binds={support_examples.IMPORTED_TICKET_ID: "lines.0.ticket_id"},
        expect={"lines.0.status": "created"},
    ),
    # As it stood while support waited on the reseller.
    Step(f"GET {TICKET}", expect={"state": "waiting_on_reseller", "severity": "B"}),
    Step(f"GET {TICKET}/sla", expect={"paused": True}),
    Step(f"GET {SUPPORT}/tickets"),
    # Support waits on the reseller (the clocks pause), and the reseller's answer resumes them.
    Step(f"POST {TICKET}/messages", example="wait_on_reseller"),
    Step(f"POST {TICKET}/messages", example="reseller_reply", caller="reseller"),
    Step(f"POST {TICKET}/severity"),
    Step(f"POST {TICKET}/escalation"),
    Step(f"POST {TICKET}/incidents", binds={support_examples.INCIDENT_ID: "id"}),
    Step(f"POST {SUPPORT}/incidents/{{incident_id}}/findings"),
    Step(f"POST {TICKET}/policy"),
    Step(f"POST {TICKET}/state", example="resolve", expect={"state": "resolved"}),
    Step(f"POST {TICKET}/state", example="close", expect={"state": "closed"}),
    Step(f"GET {TICKET}/events"),
    Step(f"GET {SUPPORT}/resellers/{{reseller_id}}"),
    Step(f"POST {SUPPORT}/resellers/{{reseller_id}}/certified-employees"),
    Step(f"POST {SUPPORT}/tier-one-programs", binds={support_examples.PROGRAM_ID: "id"}),
    Step(f"POST {SUPPORT}/tier-one-programs/{{program_id}}/engineers"),
    Step(f"POST {SUPPORT}/tier-one-programs/{{program_id}}/steps"),
    Step(f"GET {SUPPORT}/tier-one-programs/{{program_id}}/compliance"),
    Step(f"GET {SUPPORT}/reports/{{report}}"),
    # Settings: the examples change values from a day far ahead, which no ticket of the other examples reads.
    Step(f"GET {SETTINGS}"),
    Step(f"PUT {SETTINGS}/sla-calendars/{{scope}}"),
    Step(f"GET {SETTINGS}/sla-calendars"),
    Step(f"GET {SETTINGS}/sla-calendars/{{scope}}"),
    # The assignment names the calendar: it is set after it and removed before it.
    Step(f"PUT {SETTINGS}/sla-calendar-assignments/{{scope}}"),
    Step(f"GET {SETTINGS}/sla-calendar-assignments"),
    Step(f"GET {SETTINGS}/sla-calendar-assignments/{{scope}}"),
    Step(f"DELETE {SETTINGS}/sla-calendar-assignments/{{scope}}"),
    Step(f"DELETE {SETTINGS}/sla-calendars/{{scope}}"),
    Step(f"PUT {SETTINGS}/sla-targets/{{scope}}"),
    Step(f"GET {SETTINGS}/sla-targets"),
    Step(f"GET {SETTINGS}/sla-targets/{{scope}}"),
    # A severity always has targets: removing them is refused (409), saying to set a target's unit to none.
    Step(f"DELETE {SETTINGS}/sla-targets/{{scope}}", status=409),
    Step(f"GET {SETTINGS}/changes"),
]
# Run at the very end, after every service's STEPS (examples that take away what others still use).
LAST_STEPS: list[Step] = []
