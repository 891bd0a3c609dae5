"""The heads the direct path writes: a service's whole answer with our request id and nothing one-hop, and the
gateway's own answers framed and checked as uvicorn does."""

from __future__ import annotations

import asyncio

import pytest

from gateway.answer_heads import InvalidHeader, head_bytes, whole_answer
from gateway.upstream import Connection


def answered(raw: bytes) -> Connection:
    """A connection that has read `raw` as the whole answer to a GET."""
    loop = asyncio.new_event_loop()  # reading an answer needs no running loop
    try:
        connection = Connection(loop)
        connection.data_received(raw)
    finally:
        loop.close()
    assert connection.complete
    return connection


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}",
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nx-request-id: r-1\r\n\r\n{}",
        ),
        (
            b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\nx-request-id: r-1\r\n\r\n{}",
            b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\nx-request-id: r-1\r\n\r\n{}",
        ),
        (
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-request-id: other\r\nconnection: keep-alive\r\n\r\n{}",
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-request-id: r-1\r\n\r\n{}",
        ),
        (
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nset-cookie: a=1\r\nset-cookie: b=2\r\n\r\n"
            b"2\r\n{}\r\n0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nset-cookie: a=1\r\nset-cookie: b=2\r\nx-request-id: r-1\r\n"
            b"content-length: 2\r\n\r\n{}",
        ),
        (
            b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}",
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-request-id: r-1\r\n\r\n{}",
        ),
    ],
    ids=["passed-on", "echoed-id", "one-hop-and-other-id", "chunked-duplicates", "http-1.0"],
)
def test_a_whole_answer_gets_our_request_id_and_loses_its_one_hop_headers(raw: bytes, expected: bytes) -> None:
    answer = whole_answer(answered(raw), b"r-1", method="GET", keep_alive=True, default=())
    assert answer == expected


def test_a_whole_answer_gets_the_servers_own_headers_first_and_a_close_when_not_kept_alive() -> None:
    raw = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"
    answer = whole_answer(answered(raw), b"r-1", method="GET", keep_alive=False, default=[(b"server", b"gw")])
    assert answer == (
        b"HTTP/1.1 200 OK\r\nserver: gw\r\ncontent-length: 2\r\nx-request-id: r-1\r\nconnection: close\r\n\r\n{}"
    )


def test_the_gateways_own_answers_are_framed_and_checked_as_uvicorn_does() -> None:
    head, chunked = head_bytes(200, [(b"content-type", b"text/plain")], method="GET", keep_alive=True, default=())
    assert (head, chunked) == (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n",
        True,
    )
    head, chunked = head_bytes(404, [(b"content-length", b"0")], method="GET", keep_alive=False, default=())
    assert (head, chunked) == (b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n", False)
    assert head_bytes(204, [], method="GET", keep_alive=True, default=())[1] is False
    with pytest.raises(InvalidHeader):
        head_bytes(200, [(b"x-bad", b"a\r\nb")], method="GET", keep_alive=True, default=())
    with pytest.raises(InvalidHeader):
        head_bytes(200, [(b"bad name", b"v")], method="GET", keep_alive=True, default=())
