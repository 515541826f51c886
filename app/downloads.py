"""File downloads the app produces: always attachments, never cached."""

from __future__ import annotations

import io

from flask import send_file


def attachment(content: bytes, mimetype: str, name: str):
    """A download with a server-chosen name (RFC 6266 encoding for any script) and no cache."""
    response = send_file(
        io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=name
    )
    response.headers["Cache-Control"] = "no-store"
    return response
