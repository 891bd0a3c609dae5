"""One owner per rule: no two services define a function of the same name in their `domain/` packages.

A rule two services need lives once, in `bss` (periods in `bss.calendar_months`, the region rule in
`bss.availability`, the ramp-up window in `bss.ramp_up`), or is decided by the service that owns it and carried
on its events. Two services defining `period_of` or `add_months` each is how copies drift apart (issue 17: one
`period_start` returned a `date`, the other a `datetime`; one `add_months` clamped the day, the other dropped it).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "services"

# Names that may still be defined in two services for now, each with the reason. Keep it empty: an entry is a
# copied rule on its way to one owner, and the lead removes it once the move lands.
ALLOWED_IN_SEVERAL_SERVICES: dict[str, str] = {}


def domain_functions_by_service() -> dict[str, dict[str, list[str]]]:
    """function name -> service -> the domain modules (relative to `services/`) defining it at top level."""
    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for module in sorted(SERVICES.glob("*/*/domain/**/*.py")):
        service = module.relative_to(SERVICES).parts[0]
        for node in ast.parse(module.read_text(encoding="utf-8"), filename=str(module)).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found[node.name][service].append(str(module.relative_to(SERVICES)))
    return found


def test_the_scan_sees_every_services_domain_rules() -> None:
    services = {service for by_service in domain_functions_by_service().values() for service in by_service}
    assert services == {"billing", "catalog", "subscriptions", "support-sla"}
    assert "period_of" not in domain_functions_by_service()  # it lives in bss.calendar_months


def test_no_two_services_define_a_domain_function_of_the_same_name() -> None:
    shared = {
        name: {service: modules for service, modules in by_service.items()}
        for name, by_service in domain_functions_by_service().items()
        if len(by_service) > 1 and name not in ALLOWED_IN_SEVERAL_SERVICES
    }
    assert shared == {}, (
        "each rule has one owner: move a rule two services need into bss (or carry it on the owner's events), "
        "or give functions that do different things names that say so"
    )


def test_the_allow_list_names_only_functions_still_defined_in_several_services() -> None:
    found = domain_functions_by_service()
    stale = [name for name in ALLOWED_IN_SEVERAL_SERVICES if len(found.get(name, {})) < 2]
    assert stale == [], "these moves have landed: remove them from ALLOWED_IN_SEVERAL_SERVICES"
