"""Reading documents from bytes: gzip, charset detection and the kind of content."""

from __future__ import annotations

import gzip
import os
import re
import stat
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
# Kernel file systems whose "files" are not documents (/proc/self/environ, /dev/zero...).
SPECIAL_ROOTS = tuple(Path(p) for p in ("/proc", "/sys", "/dev"))
# C0 and C1 control characters and DEL, except tab, line feed and carriage return: terminal
# escape sequences (ESC [ ...) and the like, which a crawled text or title must not carry.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


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


def strip_controls(text: str) -> str:
    """`text` without control characters (escape sequences), keeping tab and line breaks;
    a vertical tab or form feed becomes a line break (it separates words)."""
    return CONTROL_CHARS.sub("", text.replace("\x0b", "\n").replace("\x0c", "\n"))


def list_documents(path: Path) -> list[Path]:
    """The readable documents at `path` (see `scan_documents`), refused ones left out."""
    return [doc for doc, problem in scan_documents(path) if problem is None]


def scan_documents(path: Path) -> list[tuple[Path, str | None]]:
    """Each document at `path` (the file itself, or every document below a directory, sorted)
    with None when it may be read, else why not: a symlink that leaves the folder, or not a
    regular file. Symlinked directories are not descended into (their documents outside are
    refused; those inside the folder are reached anyway). A readable document's path is its
    real path."""
    root = path.resolve()
    if not root.is_dir():
        return [(root, file_problem(root, root.parent))]
    found: list[tuple[Path, str | None]] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in dirs:
            link = Path(folder, name)
            if link.is_symlink() and not inside(link.resolve(), root):
                found.append((link, f"symlink leaves the folder {root}: -> {link.resolve()}"))
        found += [(Path(folder, name), file_problem(Path(folder, name), root))
                  for name in files if is_document(Path(name))]
    return [(doc if problem else doc.resolve(), problem) for doc, problem in sorted(found)]


def inside(path: Path, root: Path) -> bool:
    """Whether the resolved `path` is `root` or below it."""
    return path == root or path.is_relative_to(root)


def file_problem(path: Path, root: Path) -> str | None:
    """Why the document at `path` must not be read (None when it may): its real path must be
    inside `root`, not under /proc, /sys or /dev, and a regular file."""
    real = path.resolve()
    if not inside(real, root):
        return f"symlink leaves the folder {root}: -> {real}"
    if any(inside(real, special) for special in SPECIAL_ROOTS):
        return f"not a regular file: {real} is a kernel file"
    try:
        mode = os.stat(real).st_mode
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    if not stat.S_ISREG(mode):
        return f"not a regular file ({file_kind(mode)})"
    return None


def file_kind(mode: int) -> str:
    """A file type in words, from its stat mode."""
    kinds = ((stat.S_ISFIFO, "named pipe"), (stat.S_ISCHR, "character device"),
             (stat.S_ISBLK, "block device"), (stat.S_ISSOCK, "socket"),
             (stat.S_ISDIR, "directory"))
    return next((name for test, name in kinds if test(mode)), "special file")


def gunzip(data: bytes, limit: int = MAX_DECOMPRESSED) -> bytes:
    """Decompress gzip data, refusing output larger than `limit` (gzip bombs)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = inflater.decompress(data, limit + 1)
    if len(out) > limit:
        raise ValueError(f"gzip expands beyond {limit} bytes")
    return out


def decode_document(data: bytes, name: str, content_type_header: str | None = None,
                    limit: int = MAX_DECOMPRESSED) -> Decoded:
    """Decode a file's bytes; HTML honours BOM, header and meta charset; text tries UTF-8.
    Gzipped data may expand to `limit` bytes at most (ValueError beyond)."""
    if name.lower().endswith(".gz") or data[:2] == b"\x1f\x8b":
        try:
            data = gunzip(data, limit)
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
