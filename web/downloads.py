"""File downloads with Chinese names that every browser saves correctly."""

from __future__ import annotations

import re
from urllib.parse import quote

from flask import Response

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json; charset=utf-8",
    "html": "text/html; charset=utf-8",
}


def content_disposition(filename: str, fallback: str | None = None, *, inline: bool = False) -> str:
    """``attachment; filename="ascii"; filename*=UTF-8''percent-encoded`` (RFC 6266 / RFC 5987).

    >>> content_disposition("企业合作伙伴_甲.csv", "partners.csv")
    'attachment; filename="partners.csv"; filename*=UTF-8\\'\\'%E4%BC%81%E4%B8%9A%E5%90%88%E4%BD%9C%E4%BC%99%E4%BC%B4_%E7%94%B2.csv'
    """
    stem, dot, ext = (fallback or filename).rpartition(".")
    if not dot:
        stem, ext = ext, ""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem.encode("ascii", "ignore").decode()).strip("_") or "download"
    ext = re.sub(r"[^A-Za-z0-9]+", "", ext)
    ascii_name = f"{stem}.{ext}" if ext else stem
    disposition = "inline" if inline else "attachment"
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download(body: bytes, fmt: str, filename: str, fallback: str | None = None) -> Response:
    resp = Response(body, mimetype=MIMETYPES[fmt].split(";")[0])
    resp.headers["Content-Type"] = MIMETYPES[fmt]
    resp.headers["Content-Disposition"] = content_disposition(filename, fallback)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "no-store"
    return resp
