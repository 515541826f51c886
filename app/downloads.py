"""File downloads the app produces: always attachments, never cached."""

from __future__ import annotations

import io

from flask import abort, request, send_file


def attachment(content: bytes, mimetype: str, name: str):
    """A download with a server-chosen name (RFC 6266 encoding for any script) and no cache."""
    response = send_file(
        io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=name
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def refuse_cross_site() -> None:
    """Downloads are plain links (they work without JavaScript), and opening one is recorded in
    the city's audit trail. A page on another site must not be able to make a signed-in
    person's browser open one: browsers say where a request comes from in Sec-Fetch-Site."""
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        abort(403)
