"""Reading documents from bytes: gzip, charset detection and the kind of content."""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path

from w3lib.encoding import (
    html_body_declared_encoding,
    html_to_unicode,
    http_content_type_encoding,
    read_bom,
)

DOCUMENT_SUFFIXES = (".txt", ".html", ".htm")
MAX_DECOMPRESSED = 50 * 1024 * 1024


@dataclass(frozen=True)
class Decoded:
    """A decoded document: text, html or text, the encoding used and whether it was declared."""

    body: str
    content_type: str
    encoding: str
    declared: bool


def is_document(path: Path) -> bool:
    """Whether the `files` spider reads this file (by suffix, optionally .gz)."""
    name = path.name.lower().removesuffix(".gz")
    return name.endswith(DOCUMENT_SUFFIXES)


def list_documents(path: Path) -> list[Path]:
    """The documents at `path`: the file itself, or every document below a directory, sorted."""
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and is_document(p))


def gunzip(data: bytes, limit: int = MAX_DECOMPRESSED) -> bytes:
    """Decompress gzip data, refusing output larger than `limit` (gzip bombs)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = inflater.decompress(data, limit + 1)
    if len(out) > limit:
        raise ValueError(f"gzip expands beyond {limit} bytes")
    return out


def decode_document(data: bytes, name: str, content_type_header: str | None = None) -> Decoded:
    """Decode a file's bytes; HTML honours BOM, header and meta charset; text tries UTF-8."""
    if name.lower().endswith(".gz") or data[:2] == b"\x1f\x8b":
        try:
            data = gunzip(data)
        except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise ValueError(f"bad gzip data: {exc}") from exc
    base = name.lower().removesuffix(".gz")
    kind = "text" if base.endswith(".txt") else "html"
    declared = (read_bom(data)[0] or http_content_type_encoding(content_type_header)
                or (kind == "html" and html_body_declared_encoding(data)))
    if declared:
        encoding, body = html_to_unicode(content_type_header, data)
        return Decoded(body, kind, encoding, True)
    decoded = decode_text(data)
    return Decoded(decoded.body, kind, decoded.encoding, decoded.declared)


def decode_text(data: bytes) -> Decoded:
    """Undeclared bytes: UTF-8, else Windows-1252, else Latin-1 (declared only if UTF-8)."""
    for encoding in ("utf-8", "cp1252"):
        try:
            return Decoded(data.decode(encoding), "text", encoding, encoding == "utf-8")
        except UnicodeDecodeError:
            continue
    return Decoded(data.decode("latin-1"), "text", "latin-1", False)
