"""The gateway's server transport: the writes of one event-loop step leave in one call, in order."""

from __future__ import annotations

import asyncio

import pytest

from gateway.server import CoalescingTransport

pytestmark = pytest.mark.asyncio


class RecordingTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        assert not self.closed
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


async def next_step() -> None:
    await asyncio.sleep(0)
    await asyncio.sleep(0)


async def test_head_and_body_written_in_one_step_leave_in_one_write() -> None:
    real = RecordingTransport()
    transport = CoalescingTransport(real, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    transport.write(b"ok")
    assert real.writes == []
    await next_step()
    assert real.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"]
    transport.write(b"next")
    await next_step()
    assert real.writes[1:] == [b"next"]


async def test_a_large_write_goes_out_at_once_behind_what_was_kept() -> None:
    real = RecordingTransport()
    transport = CoalescingTransport(real, asyncio.get_running_loop())  # type: ignore[arg-type]
    big = b"x" * 100_000
    transport.write(b"head")
    transport.write(big)
    assert real.writes == [b"head", big]  # nothing waits, order kept, flow control sees every byte
    await next_step()
    assert real.writes == [b"head", big]


async def test_close_sends_what_was_kept_first() -> None:
    real = RecordingTransport()
    transport = CoalescingTransport(real, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"last answer")
    transport.close()
    assert real.writes == [b"last answer"]
    assert real.closed
    await next_step()
    assert real.writes == [b"last answer"]


async def test_nothing_is_written_to_a_transport_already_closing() -> None:
    real = RecordingTransport()
    transport = CoalescingTransport(real, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"too late")
    real.closed = True  # the client went away during the step
    await next_step()
    assert real.writes == []


async def test_everything_else_passes_through_to_the_real_transport() -> None:
    real = RecordingTransport()
    transport = CoalescingTransport(real, asyncio.get_running_loop())  # type: ignore[arg-type]
    assert transport.get_extra_info("peername") == "info:peername"
    assert transport.is_closing() is False


async def test_an_answer_written_at_once_goes_behind_what_was_kept() -> None:
    real = RecordingTransport()
    transport = CoalescingTransport(real, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"previous answer")
    transport.write_now(b"whole answer")  # the direct path's one write
    assert real.writes == [b"previous answer", b"whole answer"]
    await next_step()
    assert real.writes == [b"previous answer", b"whole answer"]  # what was kept left once
    transport.write_now(b"next")
    assert real.writes[2:] == [b"next"]
    real.closed = True
    assert transport.is_closing() is True
