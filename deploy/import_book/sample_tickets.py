"""The sample book's support history: tickets of the resellers, each with a story its helpdesk would have recorded
(docs/domain.md "Support severities and SLA clocks", "Importing tickets from another system").

Stories vary: messages from both sides, support waiting on the reseller and the reseller's reply (a pause of the
SLA clock), internal notes, severity changes, escalations to the vendor with the whole template (on a supported
build only), temporary solutions, resolutions and closings, and some tickets still open (new, waiting on the
reseller, escalated, or in progress). Every step follows the rules live commands follow, and everything happened
before the end of the book; the instants are written in each reseller's local offset, as a helpdesk export would.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from deploy.import_book.sample_book import SampleReseller
from deploy.import_book.ticket_rows import ESCALATION_COLUMNS, TEMPLATE_FIELDS

SEVERITIES = ("A", "B", "C", "D")
SEVERITY_WEIGHTS = (1, 3, 4, 2)
FIRST_REPLY_MINUTES = {"A": (5, 200), "B": (10, 240), "C": (30, 480), "D": (60, 1800)}
SUPPORT = ("anna.keller", "ben.ito", "chloe.martin", "david.nowak", "emma.larsson", "farid.haddad")
PRODUCTS = (
    "Acronis Cyber Protect Cloud",
    "Acronis Cyber Protect Cloud - Microsoft 365 backup",
    "Acronis Cyber Files Cloud",
    "Acronis Cyber Disaster Recovery Cloud",
)
SUBJECTS = {
    "A": (
        "All backups of the customer's file servers fail",
        "Recovery of a production VM fails: data loss",
        "Backup agents offline after the storage migration",
    ),
    "B": (
        "Scheduled backups fail with 'Archive is corrupted'",
        "Microsoft 365 mailbox backups stuck at 0 %",
        "Disaster recovery failover test does not start",
    ),
    "C": (
        "Backup of one workstation is slow",
        "Usage report shows the wrong storage for a tenant",
        "Agent update fails on Windows Server 2019",
    ),
    "D": (
        "How do I set a retention rule per tenant?",
        "Question about the quota of a customer tenant",
        "Typo in the portal's German translation",
    ),
}
ASKS = (
    "Could you send us the agent logs (System Report) of the affected machine?",
    "Which build is the agent on, and when did the failures start?",
    "Please run the backup once more with debug logging on and attach the log.",
)
REPLIES = (
    "Logs attached, the failures started on Monday.",
    "Agent build attached; it started after the update.",
    "Done, see the attached log.\nThe error shows right after the snapshot step.",
)
FOLLOW_UPS = (
    "Any news? The customer is asking.",
    "+49 40 1234567 is the number to call if that is faster.",
    "@support the same happens on a second tenant now.",
)
ANSWERS = (
    "We are looking into it with the logs you sent.",
    "Thanks, we can reproduce it in our lab.",
    "-- log excerpt --\nERROR 0x0004000B: the archive is locked by another process",
)
NOTES = (
    "Looks like the known issue with VSS snapshots on this build.",
    "=ERROR() shows in the tenant's report column.",
    "Customer is a reference account, keep them posted daily.",
)
RAISED = ("Data loss confirmed by the reseller.", "More customers are affected than first reported.")
LOWERED = ("A workaround exists, so it is not critical.", "Only a test tenant is affected.")
RESOLUTIONS = (
    "solved",
    "solved",
    "workaround",
    "fixed_in_next_release",
    "cannot_reproduce",
    "duplicate",
    "out_of_scope",
)
SUPPORTED_RELEASES = ("24.1", "24.2", "24.3")
"""Builds of these releases are supported with the suite's default `SUPPORT_PRODUCT_RELEASES` (escalations need one)."""
HISTORY_COLUMNS = (
    "ticket_source_id",
    "at",
    "kind",
    "author",
    "by",
    "body",
    "internal",
    "wait_on_reseller",
    "severity",
    "reason",
    "state",
    "resolution",
    "confirmed_defect",
    *ESCALATION_COLUMNS,
)


@dataclass
class _Story:
    """One ticket's steps, as offsets from its opening, and the state the live rules would see."""

    rng: random.Random
    severity: str
    contact: str
    at: timedelta = timedelta(0)
    steps: list[tuple[timedelta, dict[str, str]]] = field(default_factory=list)

    def _later(self, low_minutes: int, high_minutes: int) -> timedelta:
        self.at += timedelta(minutes=self.rng.randint(low_minutes, high_minutes))
        return self.at

    def message(self, by: str, body: str, low: int, high: int, *, internal: bool = False, wait: bool = False) -> None:
        author = self.contact if by == "reseller" else self.rng.choice(SUPPORT)
        row = {"kind": "message", "by": by, "body": body, "author": author}
        if internal:
            row["internal"] = "true"
        if wait:
            row["wait_on_reseller"] = "true"
        self.steps.append((self._later(low, high), row))

    def severity_change(self, low: int, high: int) -> None:
        before, self.severity = self.severity, self.rng.choice([s for s in SEVERITIES if s != self.severity])
        reason = self.rng.choice(RAISED if self.severity < before else LOWERED)  # A is the most severe
        row = {"kind": "severity_change", "severity": self.severity, "reason": reason}
        self.steps.append((self._later(low, high), row | {"author": self.rng.choice(SUPPORT)}))

    def escalation(self, build: str) -> None:
        template = {
            "symptoms": "Backups of the customer's servers fail every night since the last update.",
            "error_messages": "Error 0x0004000B: 'Archive is corrupted'",
            "steps_to_reproduce": "1. Run the backup plan 'Nightly'\n2. Watch it fail at the snapshot step",
            "expected_outcome": "The backup completes and can be recovered.",
            "build_number": build,
            "business_impact": "Three customers without a valid backup.",
            "first_occurrence": "First time, since the update of the agents.",
            "recent_changes": "Agents updated; storage moved to a new NAS.",
            "contact": f"{self.contact}, +49 40 1234567",
        }
        row = {"kind": "escalation", "author": self.rng.choice(SUPPORT)}
        row |= {column: template[name] for column, name in zip(ESCALATION_COLUMNS, TEMPLATE_FIELDS, strict=True)}
        self.steps.append((self._later(60, 1440), row))

    def state(self, state: str, low: int, high: int, resolution: str = "", defect: bool = False) -> None:
        row = {"kind": "state_change", "state": state, "author": self.rng.choice(SUPPORT)}
        if resolution:
            row["resolution"] = resolution
        if defect:
            row["confirmed_defect"] = "true"
        self.steps.append((self._later(low, high), row))


def _story(rng: random.Random, severity: str, contact: str, build: str, still_open: bool) -> _Story:
    """A ticket's history: ends early (still open) when `still_open`, else resolved and often closed."""
    story = _Story(rng, severity, contact)
    if rng.random() < 0.15:
        story.message("reseller", rng.choice(FOLLOW_UPS), 5, 90)
    if still_open and rng.random() < 0.15:
        return story  # new: nobody answered yet
    story.message("support", rng.choice(ANSWERS), *FIRST_REPLY_MINUTES[severity])
    rounds = rng.choice((0, 1, 1, 2, 3))
    for round_number in range(rounds):
        if rng.random() < 0.6:
            story.message("support", rng.choice(ASKS), 10, 600, wait=True)
            if still_open and round_number == rounds - 1 and rng.random() < 0.5:
                return story  # waiting on the reseller
            story.message("reseller", rng.choice(REPLIES), 60, 4320)
        else:
            story.message("reseller", rng.choice(FOLLOW_UPS), 30, 1440)
            story.message("support", rng.choice(ANSWERS), 10, 480)
        if rng.random() < 0.3:
            story.message("support", rng.choice(NOTES), 5, 120, internal=True)
    if rng.random() < 0.15:
        story.severity_change(10, 720)
    escalated = bool(build) and build.rsplit(".", 1)[0] in SUPPORTED_RELEASES and rng.random() < 0.15
    if escalated:
        story.escalation(build)
        if still_open and rng.random() < 0.5:
            return story
    if rng.random() < 0.2:
        story.state("temporary_solution_provided", 60, 2880)
    if still_open:
        return story
    resolution = rng.choice(RESOLUTIONS)
    story.state("resolved", 60, 10080, resolution, defect=escalated and resolution == "fixed_in_next_release")
    if rng.random() < 0.3:
        story.message("reseller", "Thanks, that solved it for us.", 30, 2880)
    if rng.random() < 0.6:
        story.state("closed", 1440, 10080)
    return story


@dataclass(frozen=True, slots=True)
class _Drafted:
    opened_at: datetime
    reseller: SampleReseller
    ticket: dict[str, str]
    steps: list[tuple[timedelta, dict[str, str]]]


def sample_tickets(
    rng: random.Random, resellers: list[SampleReseller], count: int, end: datetime
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """`count` tickets over the 18 months before `end` (the still open ones in its last three weeks), numbered in
    the order they were opened, and their history rows."""
    drafts = [_draft(rng, resellers, end) for _ in range(count)]
    drafts.sort(key=lambda draft: (draft.opened_at, draft.reseller.source_id))
    tickets, history = [], []
    for number, draft in enumerate(drafts):
        source_id = f"T-{70001 + number}"
        zone = ZoneInfo(draft.reseller.profile.time_zone)
        tickets.append({"source_id": source_id, **draft.ticket, "opened_at": _local(draft.opened_at, zone)})
        for offset, step in draft.steps:
            row = dict.fromkeys(HISTORY_COLUMNS, "") | step
            history.append(row | {"ticket_source_id": source_id, "at": _local(draft.opened_at + offset, zone)})
    return tickets, history


def _draft(rng: random.Random, resellers: list[SampleReseller], end: datetime) -> _Drafted:
    severity = rng.choices(SEVERITIES, weights=SEVERITY_WEIGHTS)[0]
    build = _build(rng)
    still_open = rng.random() < 0.15
    reseller = rng.choice(resellers)
    story = _story(rng, severity, reseller.contact, build, still_open)
    earliest, latest = _opening_window(reseller, story, still_open, end)
    if earliest > latest:  # registered too late for this story: the earliest registered reseller takes it
        reseller = min(resellers, key=lambda r: r.registered_at)
        story = _story(rng, severity, reseller.contact, build, still_open)
        earliest, latest = _opening_window(reseller, story, still_open, end)
    seconds = int((latest - earliest).total_seconds())
    opened_at = (earliest + timedelta(seconds=rng.randint(0, max(0, seconds)))).replace(microsecond=0)
    ticket = {
        "reseller_source_id": reseller.source_id,
        "subject": rng.choice(SUBJECTS[severity]),
        "description": rng.choice(
            ("", "See the attached logs.", "Customer: Contoso.\nAffects 12 servers, since 02:00.")
        ),
        "product": rng.choice(PRODUCTS),
        "build_number": build,
        "severity": severity,
    }
    return _Drafted(opened_at, reseller, ticket, story.steps)


def _opening_window(
    reseller: SampleReseller, story: _Story, still_open: bool, end: datetime
) -> tuple[datetime, datetime]:
    """When the ticket may have opened: after its reseller registered, so that its last step is before `end`;
    in the last three weeks when it is still open, else in the last 18 months."""
    latest = end - story.at - timedelta(hours=1)
    window = timedelta(days=21) if still_open else timedelta(days=548)
    return max(reseller.registered_at + timedelta(days=1), latest - window), latest


def _build(rng: random.Random) -> str:
    chance = rng.random()
    if chance < 0.55:
        return f"{rng.choice(SUPPORTED_RELEASES)}.{rng.randint(37000, 38999)}"
    if chance < 0.7:
        return f"23.12.{rng.randint(36000, 36999)}"  # an unsupported release: never escalated
    return ""


def _local(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(UTC).astimezone(zone).isoformat(timespec="seconds")
