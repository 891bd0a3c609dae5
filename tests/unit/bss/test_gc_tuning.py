"""The serving process's garbage collector: frozen after start-up, a young threshold of 50,000 by default,
configurable per service and for the gateway, never switched off by a setting."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from bss.gc_tuning import DEFAULT_THRESHOLDS, tune_garbage_collector
from bss.settings import ServiceSettings
from gateway.settings import GatewaySettings


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_tuning_freezes_what_is_alive_and_raises_the_young_threshold(restored_collector: None) -> None:
    alive_at_start = {"an": ["object", "built", "at", "start-up"]}
    tune_garbage_collector((50_000, 20, 100), freeze=True)
    assert gc.get_threshold() == (50_000, 20, 100)
    assert gc.get_freeze_count() > 0
    assert gc.is_tracked(alive_at_start)
    assert not any(alive_at_start is young for young in gc.get_objects(generation=0))  # out of sight


def test_tuning_without_freeze_only_sets_the_thresholds(restored_collector: None) -> None:
    gc.unfreeze()
    tune_garbage_collector((1_000, 10, 10), freeze=False)
    assert gc.get_threshold() == (1_000, 10, 10)
    assert gc.get_freeze_count() == 0


def test_gc_settings_default_to_frozen_with_a_young_threshold_of_50000() -> None:
    assert (ServiceSettings().gc_thresholds, ServiceSettings().gc_freeze) == (DEFAULT_THRESHOLDS, True)
    assert (GatewaySettings().gc_thresholds, GatewaySettings().gc_freeze) == (DEFAULT_THRESHOLDS, True)
    assert DEFAULT_THRESHOLDS[0] == 50_000


def test_gc_thresholds_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BSS_GC_THRESHOLDS", "[2000, 10, 10]")
    monkeypatch.setenv("GATEWAY_GC_FREEZE", "false")
    assert ServiceSettings().gc_thresholds == (2000, 10, 10)
    assert GatewaySettings().gc_freeze is False


@pytest.mark.parametrize("thresholds", ["[0, 10, 10]", "[50, 10, 10]", "[50000, 0, 10]", "[50000, 10, 0]"])
def test_gc_thresholds_that_would_switch_collection_off_are_refused(
    thresholds: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BSS_GC_THRESHOLDS", thresholds)
    with pytest.raises(ValidationError, match="the first must be >= 100, the others >= 1"):
        ServiceSettings()
    monkeypatch.setenv("GATEWAY_GC_THRESHOLDS", thresholds)
    with pytest.raises(ValidationError, match="the first must be >= 100, the others >= 1"):
        GatewaySettings()
