"""Inputs: files, folders and stdin; decompression; format and encoding sniffing; lines read with a cap.

A `Source` is one input file. Its first bytes (decompressed) are kept to guess its format and encoding;
`open()` gives the whole decompressed stream, `raw()` the bytes as stored (WARC readers decompress
themselves). Nothing here reads more than a capped amount into memory at once.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import os
import re
import stat
import sys
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, cast

import charset_normalizer

from samestory.config import READ_MAX_RECORD_BYTES, READ_SNIFF_BYTES
from samestory.errors import InputError
from samestory.read._fields import DEFAULT_NAMES

FORMATS = ("text", "json", "jsonl", "csv", "html", "warc")
# Errors a (possibly compressed) stream raises while being read: truncated or corrupt data, I/O failures.
STREAM_ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError, zlib.error, lzma.LZMAError)

_EXTENSIONS = {
    ".txt": "text",
    ".text": "text",
    ".md": "text",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".jsonlines": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".warc": "warc",
    ".arc": "warc",
}
_COMPRESSED = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz"}
_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zXZ\x00": "xz"}
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# A folder's documentation files, by name: README.md, LICENSE, CHANGELOG.txt, NOTICE, ...
_FOLDER_DOCS = re.compile(r"(?:readme|licen[cs]e|copying|changelog|changes|notice|authors)(?:\.\w+)?$", re.IGNORECASE)
_HTML_TAG = re.compile(rb"<(?:!doctype\s+html|html|head|body|article|div|p|meta|title)\b", re.IGNORECASE)
_CSV_DELIMITERS = ",;\t|"
_DRAIN_BYTES = 2**20
_WESTERN = ("cp1252", "latin_1", "iso8859_15")
# Bytes that text does not hold (controls other than tab, line breaks, form feed and escape). git calls a file
# binary at its first NUL; here one stray NUL is a damaged line of a text file and binary means more than 5%.
_CONTROL = bytes([*range(9), *range(14, 27), *range(28, 32)])
_BINARY_SHARE = 0.05


@dataclass(slots=True)
class Source:
    """One input file: its name (for messages), its first decompressed bytes, and how to open it."""

    name: str
    head: bytes
    compression: str | None
    _open_raw: Callable[[], io.BufferedIOBase] = field(repr=False)
    _closes: bool = field(default=True, repr=False)

    @property
    def extension(self) -> str:
        """The format extension, lower case, after any compression extension (".jsonl" for "a.jsonl.gz")."""
        suffixes = [s.lower() for s in Path(self.name).suffixes]
        if suffixes and suffixes[-1] in _COMPRESSED:
            suffixes.pop()
        return suffixes[-1] if suffixes else ""

    @contextmanager
    def raw(self) -> Iterator[io.BufferedIOBase]:
        """The bytes as stored (still compressed)."""
        stream = self._open_raw()
        try:
            yield stream
        finally:
            if self._closes:
                stream.close()

    @contextmanager
    def open(self) -> Iterator[io.BufferedIOBase]:
        """The decompressed bytes."""
        with self.raw() as raw:
            if self.compression is None:
                yield raw
                return
            stored = cast(IO[bytes], raw)
            with (
                gzip.GzipFile(fileobj=stored, mode="rb")
                if self.compression == "gzip"
                else bz2.BZ2File(stored)
                if self.compression == "bz2"
                else lzma.LZMAFile(stored)
            ) as stream:
                yield stream

    def read(self, cap: int) -> bytes:
        """The whole decompressed content; an InputError when it is larger than `cap` bytes."""
        with self.open() as stream:
            data = stream.read(cap + 1)
        if len(data) > cap:
            raise InputError(f"{self.name}:1", f"larger than {_mb(cap)}; not read")
        return data


def _mb(size: int) -> str:
    return f"{size / 2**20:g} MB"


def describe(exc: BaseException) -> str:
    """A short message for an error raised while reading a stream."""
    if isinstance(exc, EOFError):
        return "the compressed data ends early (truncated file?)"
    if isinstance(exc, zlib.error | lzma.LZMAError):
        return f"corrupt compressed data ({exc})"
    if isinstance(exc, OSError) and exc.strerror:
        return f"cannot read: {exc.strerror}"
    return f"cannot read: {exc}"


def sources(path: str) -> Iterator[Source | InputError]:
    """The files named by `path`: the file itself, every file under a folder (sorted, hidden ones left out),
    or stdin for '-'."""
    if path == "-":
        yield _stdin()
        return
    if os.path.isdir(path):
        yield from _folder(path)
        return
    yield _file(path)


def _folder(path: str) -> Iterator[Source | InputError]:
    """Every file under a folder in path order (a/x, b/y, c), hidden files and folders and a folder's own
    documentation (README, LICENSE, ...: not articles) left out; a file named on its own is always read."""
    try:
        with os.scandir(path) as scan:
            entries = sorted(
                (e for e in scan if not e.name.startswith(".") and not (_FOLDER_DOCS.match(e.name) and e.is_file())),
                key=lambda e: e.name,
            )
    except OSError as exc:
        yield InputError(path, f"cannot list the folder: {exc.strerror or exc}")
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _folder(entry.path)
        elif entry.is_file():
            yield _file(entry.path)


def _special(path: str) -> bool:
    """Whether a path is a FIFO, a socket or a device: opening one may wait forever for a writer, and a Source
    is opened twice (sniffed, then read), which a pipe can't be."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False  # missing or unreadable: open() says why


def _file(path: str) -> Source | InputError:
    if _special(path):
        return InputError(path, "not a regular file (a FIFO, a socket or a device); pipe it to stdin with '-'")
    try:
        with open(path, "rb") as stream:
            start = stream.read(READ_SNIFF_BYTES)
    except OSError as exc:
        return InputError(path, f"cannot open: {exc.strerror or exc}")
    # Opened again each time it is read (a Source closes what it opens).
    return _source(path, start, lambda: open(path, "rb"), closes=True)


class _Prefixed(io.RawIOBase):
    """A stream that gives back `prefix` first, then the rest of `stream` (to sniff stdin without seeking)."""

    def __init__(self, prefix: bytes, stream: io.BufferedIOBase) -> None:
        self._prefix = memoryview(prefix)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._stream.read1(len(buffer))  # what is there, not a full buffer: records flow as they come
        buffer[: len(data)] = data
        return len(data)


def _stdin() -> Source | InputError:
    stream = sys.stdin.buffer
    if not isinstance(stream, io.BufferedIOBase):
        stream = io.BufferedReader(stream)
    start = stream.read(READ_SNIFF_BYTES)
    opened: list[bool] = []

    def open_once() -> io.BufferedIOBase:
        if opened:
            raise OSError("stdin can be read only once")
        opened.append(True)
        return io.BufferedReader(_Prefixed(start, stream))

    return _source("<stdin>", start, open_once, closes=False)


def _source(
    name: str, start: bytes, opener: Callable[[], io.BufferedIOBase], *, closes: bool
) -> Source | InputError:
    """A Source from the first stored bytes; an InputError when there is nothing to read."""
    compression = next((kind for magic, kind in _MAGIC.items() if start.startswith(magic)), None)
    head = start
    if compression:
        try:
            head = _decompress_head(start, compression)
        except STREAM_ERRORS as exc:
            return InputError(f"{name}:1", describe(exc))
    if not head:
        return InputError(f"{name}:1", "empty file" + (f" ({compression} of nothing)" if compression else ""))
    return Source(name, head, compression, opener, closes)


def _decompress_head(start: bytes, compression: str) -> bytes:
    decompressor: zlib._Decompress | bz2.BZ2Decompressor | lzma.LZMADecompressor
    if compression == "gzip":
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif compression == "bz2":
        decompressor = bz2.BZ2Decompressor()
    else:
        decompressor = lzma.LZMADecompressor()
    return decompressor.decompress(start, READ_SNIFF_BYTES)


# --- sniffing -------------------------------------------------------------------------------------------


def detect_encoding(head: bytes) -> str | None:
    """The text encoding of a file from its first bytes: a BOM, else UTF-8 when it decodes, else the guess
    of charset-normalizer; None when the bytes look binary."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    if len(head) - len(head.translate(None, _CONTROL)) > _BINARY_SHARE * len(head):
        return None
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        # UTF-8 with a few bad bytes (a line pasted from another encoding, a character cut at the end of the
        # sniffed bytes) rather than a legacy encoding: legacy text seldom forms valid multi-byte sequences.
        text = head.decode("utf-8", "replace")
        if sum(1 for c in text if c > "\x7f" and c != "\ufffd") >= text.count("\ufffd"):
            return "utf-8"
    best = guess_encoding(head)
    return best.encoding if best is not None else None


def guess_encoding(data: bytes) -> charset_normalizer.CharsetMatch | None:
    """charset-normalizer's best guess for bytes that are not UTF-8; on a tie (short texts score the same
    in cp1250 and cp1252: 'très' or 'trčs') the Western code page wins, the most common in legacy news."""
    matches = charset_normalizer.from_bytes(data)
    best = matches.best()
    if best is None:
        return None
    tied = [m for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
    return next((m for m in tied if m.encoding in _WESTERN), best)


def detect_format(source: Source) -> str:
    """The format of a source: from its content when it is unmistakable (WARC), else from its extension,
    else from its content."""
    head = source.head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"WARC/"):
        return "warc"
    by_extension = _EXTENSIONS.get(source.extension)
    if by_extension == "json":
        return _json_kind(head)
    if by_extension:
        return by_extension
    if head.startswith((b"{", b"[")):
        return _json_kind(head)
    if head.startswith(b"<") and _HTML_TAG.search(head[:4096]):
        return "html"
    if _looks_like_csv(head):
        return "csv"
    return "text"


def _json_kind(head: bytes) -> str:
    """'jsonl' when the first line is a whole object (one object a line), else 'json'."""
    first = head.split(b"\n", 1)[0].strip()
    return "jsonl" if first.startswith(b"{") and first.endswith(b"}") else "json"


def _looks_like_csv(head: bytes) -> bool:
    """A header row naming a text column, e.g. `id,title,text`."""
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace").strip().lower()
    delimiter = csv_delimiter(first)
    cells = {c.strip().strip('"') for c in first.split(delimiter)}
    return len(cells) > 1 and bool(cells & set(DEFAULT_NAMES["text"]))


def csv_delimiter(header: str) -> str:
    """The delimiter of a CSV file from its header line: the most frequent of , ; tab | (comma on a tie).

    csv.Sniffer is not used: on rows of prose full of commas and quotes it guesses wrong.
    """
    return max(_CSV_DELIMITERS, key=lambda d: (header.count(d), d == ","))


# --- lines ----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Line:
    """One line of a text file: its number (1-based), its text (or its bytes, when read undecoded), or the
    problem that kept it from being read."""

    number: int
    text: str
    problem: str | None = None
    data: bytes = b""


def undecodable(raw: bytes, encoding: str, exc: UnicodeDecodeError) -> str:
    """The problem of a line that does not decode."""
    return f"not valid {encoding}: byte 0x{raw[exc.start]:02x} at column {exc.start + 1} (save the file as UTF-8)"


def lines(
    stream: io.BufferedIOBase, encoding: str, *, keep_ends: bool = False, undecoded: bool = False
) -> Iterator[Line]:
    """The lines of a stream, decoded (or, with `undecoded` and a byte-wise encoding, as bytes in `data`); a
    line longer than READ_MAX_RECORD_BYTES, or that does not decode, comes back with a `problem` instead of
    its text. A stream that fails (truncated gzip) ends with one."""
    cap = READ_MAX_RECORD_BYTES
    wide = codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))
    # UTF-16/32 can't be split on b"\n": decode as a stream (undecodable bytes replaced).
    reader: io.BufferedIOBase | io.TextIOWrapper = (
        io.TextIOWrapper(cast(IO[bytes], stream), encoding=encoding, errors="replace", newline="")
        if wide
        else stream
    )
    number = 0
    try:
        while True:
            raw = reader.readline(cap + 1)
            if not raw:
                return
            number += 1
            if len(raw) > cap and raw[-1:] not in ("\n", b"\n"):
                while (more := reader.readline(_DRAIN_BYTES)) and more[-1:] not in ("\n", b"\n"):
                    pass
                yield Line(number, "", f"line longer than {_mb(cap)}; skipped")
                continue
            if isinstance(raw, bytes):
                if undecoded:
                    yield Line(number, "", data=raw if keep_ends else raw.rstrip(b"\r\n"))
                    continue
                try:
                    text = raw.decode(encoding)
                except UnicodeDecodeError as exc:
                    yield Line(number, "", undecodable(raw, encoding, exc))
                    continue
            else:
                text = raw
            yield Line(number, text if keep_ends else text.rstrip("\r\n"))
    except STREAM_ERRORS as exc:
        yield Line(number + 1, "", describe(exc))
