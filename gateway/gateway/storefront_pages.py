"""The storefront pages the gateway serves itself: `/storefront` for resellers, `/storefront/admin` for staff.

Plain HTML and JavaScript (no build step) with a vendored Chart.js; loading a page needs no credentials.
The pages sign in with an API key kept in the browser's sessionStorage and call `/api/v1/...` with it, so
every figure they show passes the same authentication, role policy and tenant scoping as any API client.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static" / "storefront"
STATIC_URL = "/storefront/static"
# Everything comes from this origin; no inline script or style, no framing (the key is typed into the page).
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def install_storefront(app: FastAPI) -> None:
    """Add the two pages and their static files to the gateway's own app (public, outside the proxy)."""
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="storefront-static")

    @app.api_route("/storefront", methods=["GET", "HEAD"], include_in_schema=False)
    async def storefront() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=PAGE_HEADERS)

    @app.api_route("/storefront/admin", methods=["GET", "HEAD"], include_in_schema=False)
    async def storefront_admin() -> FileResponse:
        return FileResponse(STATIC_DIR / "admin.html", media_type="text/html", headers=PAGE_HEADERS)
