"""An `EncodedAnswer` as an HTTP response: 200 with its identity or gzipped bytes, or 304 with no body.

Every answer says `Vary: Accept-Encoding` (its bytes depend on it) and carries the ETag of the bytes it stands for;
a 304 keeps the headers a 200 would have had, except the body's (RFC 9110 15.4.5).
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi.responses import Response

from bss.encoded_answer import EncodedAnswer

JSON = "application/json"


def encoded_response(
    answer: EncodedAnswer, request_headers: Mapping[str, str], headers: Mapping[str, str] | None = None
) -> Response:
    """The answer for a request's `If-None-Match` and `Accept-Encoding`, with `headers` added (Cache-Control...)."""
    choice = answer.choose(request_headers.get("if-none-match"), request_headers.get("accept-encoding"))
    sent = {"ETag": choice.etag, "Vary": "Accept-Encoding", **(headers or {})}
    if choice.status == 304:
        return Response(status_code=304, headers=sent)
    if choice.gzipped:
        sent["Content-Encoding"] = "gzip"
    return Response(content=choice.body, media_type=JSON, headers=sent)
