"""HTTP/1.1 answer heads as the direct path (`gateway.proxy_cycle`) writes them to the client: uvicorn's way for
answers the gateway makes (checked, framed), and a service's whole answer passed on with as little as can be.

A service's head comes through httptools, which checks it strictly (no folded lines, no bare LF, no control bytes
in names or values, the same refusals as uvicorn's checks of what an application sends), as does the client's
request id: what comes from there is not checked again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from http import HTTPStatus

from gateway.admission import REQUEST_ID
from gateway.proxy import DROP_RESPONSE
from gateway.upstream import Connection

Header = tuple[bytes, bytes]

# uvicorn's checks of what an application may send as header names and values (RFC 9110 5.1, 5.5).
_BAD_NAME = re.compile(b'[\x00-\x1f\x7f()<>@,;:\\[\\]={} \t\\\\"]')
_BAD_VALUE = re.compile(b"[\x00-\x08\x0a-\x1f\x7f]")
_STATUS_LINES: dict[int, bytes] = {
    int(status): b"HTTP/1.1 %d %s\r\n" % (status, status.phrase.encode()) for status in HTTPStatus
}
CLOSE = b"connection: close\r\n"
_CHUNKED = b"transfer-encoding: chunked\r\n"
SERVER_ERROR = (
    b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 21\r\n"
    b"connection: close\r\n\r\nInternal Server Error"
)
"""What uvicorn answers when an application fails before its answer started."""
# The header fields that decide whether an answer's head can be passed on as it came: the one-hop ones and the
# request id (`proxy.DROP_RESPONSE`, `REQUEST_ID`) must go, and the length must be there. Found in any case; only
# the lower-case names the services write take the short way.
_SPECIAL = re.compile(
    rb"\r\n(connection|keep-alive|proxy-connection|te|trailer|transfer-encoding|upgrade|x-request-id|content-length):",
    re.IGNORECASE,
)
_LENGTH = [b"content-length"]
_LENGTH_AND_ID = ([b"content-length", b"x-request-id"], [b"x-request-id", b"content-length"])


class InvalidHeader(ValueError):
    pass


def status_line(status: int) -> bytes:
    return _STATUS_LINES.get(status) or b"HTTP/1.1 %d \r\n" % status


def head_bytes(
    status: int, headers: Sequence[Header], *, method: str, keep_alive: bool, default: Sequence[Header]
) -> tuple[bytes, bool]:
    """The head of an answer the gateway makes, as uvicorn writes one (its `default` headers first, names and
    values checked: `InvalidHeader`), and whether its body must be sent chunked (no length given)."""
    if default:
        headers = [*default, *headers]
    if _BAD_NAME.search(b"".join(name for name, _ in headers)):
        raise InvalidHeader("Invalid HTTP header name.")
    if _BAD_VALUE.search(b"".join(value for _, value in headers)):
        raise InvalidHeader("Invalid HTTP header value.")
    lines = [status_line(status)]
    length = False
    for name, value in headers:
        lines += (name, b": ", value, b"\r\n")
        length = length or name == b"content-length"
    if not keep_alive:
        lines.append(CLOSE)
    chunked = not length and method != "HEAD" and status not in (204, 304)
    if chunked:
        lines.append(_CHUNKED)
    lines.append(b"\r\n")
    return b"".join(lines), chunked


def whole_answer(
    connection: Connection, request_id: bytes, *, method: str, keep_alive: bool, default: Sequence[Header]
) -> bytes:
    """A service's answer, read whole, as the client gets it (what `proxy.response_headers` makes of it). Most
    answers' heads need nothing but the request id: those are passed on as they came."""
    chunks = connection.take()
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    raw = connection.raw_head
    lines: list[bytes]
    special = _SPECIAL.findall(raw) if raw.startswith(b"HTTP/1.1 ") else None
    if special == _LENGTH:
        lines = [raw, b"x-request-id: ", request_id, b"\r\n"]
    elif special in _LENGTH_AND_ID and b"\r\nx-request-id: " + request_id + b"\r\n" in raw:
        lines = [raw]  # the service gave back the request id it was sent (`bss.observability`): nothing to change
    else:
        lines = _rewritten_head(connection, request_id, len(body))
    if default:
        first = lines[0]
        cut = first.index(b"\r\n") + 2
        lines[0:1] = [first[:cut], *(b"%s: %s\r\n" % header for header in default), first[cut:]]
    if not keep_alive:
        lines.append(CLOSE)
    lines.append(b"\r\n")
    if method != "HEAD":
        lines.append(body)
    return b"".join(lines)


def _rewritten_head(connection: Connection, request_id: bytes, length: int) -> list[bytes]:
    """The status line and headers of an answer whose head must change: one-hop headers and the service's request
    id dropped, ours added, and a length for an answer that came without one."""
    lines = [status_line(connection.status)]
    has_length = False
    for name, value in connection.headers:
        if name in DROP_RESPONSE or name == REQUEST_ID:
            continue
        lines += (name, b": ", value, b"\r\n")
        has_length = has_length or name == b"content-length"
    lines += (b"x-request-id: ", request_id, b"\r\n")
    if not has_length:
        lines.append(b"content-length: %d\r\n" % length)
    return lines
