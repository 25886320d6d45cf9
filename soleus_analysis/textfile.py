"""Load a delimited text export as text cells, losing nothing and guessing nothing silently.

Every cell is read as text so that nothing is converted before a reader decides how: ``00123``
stays ``00123``, ``72,5`` stays ``72,5``. The encoding, delimiter and decimal mark that were used
are returned with the table and stated in its notes.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from soleus_analysis.errors import InputError

__all__ = [
    "TextTable",
    "decode_bytes",
    "looks_binary",
    "read_text_table",
    "sniff_delimiter",
    "unique_names",
]

_DELIMITERS = (",", ";", "\t", "|")
_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
# Byte-order marks, longest first (a UTF-32-LE mark starts with the UTF-16-LE one).
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# A cell longer than this is read (the csv module's default limit is 128 KiB), up to this size.
_FIELD_LIMIT = 64 * 1024 * 1024
_TAG = re.compile(r"<[^<>]*>")
#: More header fields than this is not a table (exports have up to about 100 columns).
_MAX_COLUMNS = 1000
_DECIMAL_COMMA = re.compile(r"^-?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+$")


@dataclass(frozen=True)
class TextTable:
    """A delimited file read as text.

    Attributes
    ----------
    frame : DataFrame
        One column per header field (duplicate names get pandas' ``.1`` suffix), every cell text
        (``""`` for empty); index = row number as a spreadsheet shows it (header = 1).
    header : tuple of str
        Header fields exactly as in the file, duplicates included.
    delimiter, encoding, decimal : str
        What was used to read it; ``decimal`` is ``","`` when numbers use a decimal comma.
    path : str
    notes : tuple of str
        Anything the user should know (encoding fallback, blank lines, ragged rows).
    """

    frame: pd.DataFrame
    header: tuple[str, ...]
    delimiter: str
    encoding: str
    decimal: str
    path: str
    notes: tuple[str, ...] = ()


def sniff_delimiter(header_line: str) -> str:
    """The delimiter that splits the header line into the most fields (quotes respected).

    Examples
    --------
    >>> sniff_delimiter('"Workout #";"Date";"Weight (kg)"')
    ';'
    >>> sniff_delimiter("Date,Workout Name,Duration")
    ','
    """
    counts = {}
    line = header_line[:65536]  # a header is short; a huge first line is not a header anyway
    for delim in _DELIMITERS:
        try:
            counts[delim] = len(next(csv.reader([line], delimiter=delim)))
        except (csv.Error, StopIteration):
            counts[delim] = line.count(delim) + 1
    best = max(_DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] > 1 else ","


def _utf16_without_bom(raw: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when NUL bytes sit at every other position (ASCII in UTF-16)."""
    sample = raw[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _declared_encoding(raw: bytes) -> str | None:
    """The encoding a byte-order mark or a UTF-16 byte pattern declares, else None."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return name
    return _utf16_without_bom(raw)


def looks_binary(raw: bytes) -> bool:
    r"""True for data that is not text: NUL bytes that no UTF-16/32 encoding explains.

    Examples
    --------
    >>> looks_binary(b"a,b\n1,2\n"), looks_binary("a,b".encode("utf-16")), looks_binary(b"\x0e.FIT")
    (False, False, False)
    >>> looks_binary(b"\x0e\x10\x00\x00.FIT\x00\x01")
    True
    """
    head = raw[:8192]
    if b"\x00" not in head:
        return False
    declared = _declared_encoding(head)
    if declared is None:
        return True
    try:
        text = head.decode(declared, errors="ignore")
    except LookupError:  # pragma: no cover
        return True
    return "\x00" in text


def decode_bytes(raw: bytes, path: str, encoding: str | None = None) -> tuple[str, str, list[str]]:
    """Decode an export's bytes: (text, encoding used, notes).

    An explicit ``encoding`` is used as given. Otherwise a byte-order mark decides (UTF-8,
    UTF-16, UTF-32), then UTF-16 without a mark is recognised by its NUL bytes, then UTF-8 is
    tried, then Windows-1252 and Latin-1 with a note. A leading byte-order mark is removed.

    Raises
    ------
    InputError
        The explicit encoding does not decode the bytes, or no encoding does.
    """
    if encoding is not None:
        try:
            return raw.decode(encoding).lstrip("\ufeff"), encoding, []
        except (UnicodeDecodeError, LookupError) as exc:
            raise InputError(
                f"cannot decode the file as {encoding} ({exc})",
                path=path,
                fix="pass the file's real encoding, e.g. encoding='utf-8' or 'latin-1'",
            ) from None
    declared = _declared_encoding(raw)
    if declared is not None and declared != "utf-8-sig":
        try:
            text = raw.decode(declared).lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"the file looks like {declared} text but does not decode as such ({exc.reason} "
                f"at byte {exc.start}); it may be truncated or damaged",
                path=path,
                fix="export the data again, or save it as UTF-8",
            ) from None
        return text, declared, [f"the file is {declared} text; it was decoded as such"]
    for candidate in _ENCODINGS:
        try:
            text = raw.decode(candidate)
        except UnicodeDecodeError:
            continue
        notes = []
        if candidate != "utf-8-sig":
            notes.append(
                f"the file is not valid UTF-8; it was decoded as {candidate} "
                "(pass encoding= if accented letters look wrong)"
            )
        return text.lstrip("\ufeff"), candidate, notes
    raise InputError(
        "cannot decode the file", path=path, fix="save it as UTF-8"
    )  # pragma: no cover


def read_text_table(
    path: str | PathLike[str], *, encoding: str | None = None, delimiter: str | None = None
) -> TextTable:
    """Read a CSV-like export with every cell as text.

    Parameters
    ----------
    path : str or PathLike
    encoding : str, optional
        By default UTF-8 (with or without BOM), falling back to Windows-1252 and Latin-1 with a
        note.
    delimiter : str, optional
        By default the one of ``, ; TAB |`` that splits the header into the most fields.

    Returns
    -------
    TextTable

    Raises
    ------
    InputError
        Missing, empty, binary or undecodable file, or a file without a header.
    """
    p = Path(path)
    name = str(path)
    if not p.exists():
        raise InputError("file not found", path=name, fix="check the path and the file name")
    if p.is_dir():
        raise InputError("is a folder, not a file", path=name, fix="name a file inside it")
    raw = p.read_bytes()
    if not raw.strip():
        raise InputError(
            "the file is empty", path=name, fix="export the data again; the export may have failed"
        )
    if encoding is None and looks_binary(raw):
        raise InputError(
            "not a text file (it holds binary data)",
            path=name,
            fix="pass a CSV export here; FIT files are read with sol.read(path)",
        )
    text, used_encoding, notes = decode_bytes(raw, name, encoding)
    if "\x00" in text:
        raise InputError(
            "not a text file (it holds NUL characters)",
            path=name,
            fix="pass a CSV export here, or the file's real encoding (encoding=)",
        )
    first_line = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    delim = delimiter or sniff_delimiter(first_line)
    frame, header, more_notes = _parse(text, delim, name)
    notes += more_notes
    decimal = _guess_decimal(frame) if delim != "," else "."
    if decimal == ",":
        notes.append("numbers use a decimal comma (72,5 = 72.5)")
    return TextTable(frame, tuple(header), delim, used_encoding, decimal, name, tuple(notes))


def unique_names(header: list[str]) -> list[str]:
    """Column names for a header: a repeated name gets ``.1``, ``.2``... (as pandas does).

    Examples
    --------
    >>> unique_names(["Distance", "Time", "Distance"])
    ['Distance', 'Time', 'Distance.1']
    """
    seen: Counter[str] = Counter()
    out = []
    for field in header:
        out.append(field if seen[field] == 0 else f"{field}.{seen[field]}")
        seen[field] += 1
    return out


@contextmanager
def _field_limit(limit: int):
    """Let the csv module read cells up to ``limit`` characters, restoring its limit after."""
    old = csv.field_size_limit()
    csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _rows(text: str, delim: str, path: str) -> list[list[str]]:
    def read() -> list[list[str]]:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))

    try:
        return read()
    except csv.Error as exc:
        if "field larger than field limit" not in str(exc):
            raise InputError(
                f"the file cannot be read as delimited text ({exc})",
                path=path,
                fix="export the data again as CSV",
            ) from None
    # A cell over the csv module's 128 KiB default (a long note): read it with a larger limit.
    try:
        with _field_limit(_FIELD_LIMIT):
            return read()
    except csv.Error as exc:
        raise InputError(
            f"the file cannot be read as delimited text ({exc})",
            path=path,
            fix="export the data again as CSV; a cell over 64 MiB is not an export",
        ) from None


def _clean_header(cell: str) -> str:
    """A header cell as text: stripped, HTML tags (seen in Strava exports) removed."""
    cell = cell.replace("\ufeff", "").strip()
    if "<" in cell and ">" in cell:
        cell = html.unescape(_TAG.sub("", cell)).strip()
    return cell


def _parse(text: str, delim: str, path: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    notes: list[str] = []
    rows = _rows(text.lstrip("\ufeff"), delim, path)
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise InputError(
            "the file has no header line", path=path, fix="export it again with headers"
        )
    if len(rows[0]) > _MAX_COLUMNS:
        raise InputError(
            f"the first line splits into {len(rows[0])} fields, far more than any export has: "
            "the file is not a table with a header line (JSON, XML or one long line?)",
            path=path,
            fix="pass the export itself, or save the data as CSV with a header line",
        )
    header = [_clean_header(cell) for cell in rows[0]]
    if any(c != raw.strip() for c, raw in zip(header, rows[0], strict=True)):
        tagged = [raw for c, raw in zip(header, rows[0], strict=True) if "<" in raw]
        if tagged:
            notes.append(
                f"{len(tagged)} header cell(s) held HTML markup (e.g. {tagged[0][:60]!r}); "
                "their text was used"
            )
    width = len(header)
    body = rows[1:]
    dupes = [name for name, count in Counter(header).items() if count > 1]
    if dupes:
        notes.append("repeated column names (second copy suffixed .1): " + ", ".join(dupes))
    long_rows = [i + 2 for i, r in enumerate(body) if len(r) > width]
    if long_rows:
        extra = max(len(r) for r in body) - width
        header_ext = header + [f"_extra_field_{k + 1}" for k in range(extra)]
        notes.append(
            f"{len(long_rows)} row(s) have more fields than the header "
            f"(first: row {long_rows[0]}); the surplus is kept in _extra_field_* columns"
        )
    else:
        header_ext = header
    short_rows = [i + 2 for i, r in enumerate(body) if 1 < len(r) < width]
    if short_rows:
        notes.append(
            f"{len(short_rows)} row(s) have fewer fields than the header (first: row "
            f"{short_rows[0]}; a cut-off file?); their missing cells are empty"
        )
    n_cols = len(header_ext)
    # Blank rows (every cell empty or spaces) are found on the lists: cheap even for wide files.
    blank = np.fromiter((not any(c.strip() for c in r) for r in body), dtype=bool, count=len(body))
    numbers = np.arange(2, 2 + len(body))[~blank]
    kept = [r for r, b in zip(body, blank, strict=True) if not b]
    padded = [r + [""] * (n_cols - len(r)) if len(r) < n_cols else r for r in kept]
    names = unique_names(header_ext)
    if padded:
        frame = pd.DataFrame(padded, columns=names, dtype="str")
    else:
        frame = pd.DataFrame({c: pd.Series(dtype="str") for c in names})
    frame.index = pd.Index(numbers, name="source_row")
    if blank.any():
        notes.append(f"{int(blank.sum())} blank line(s) skipped")
    return frame, header, notes


def _guess_decimal(frame: pd.DataFrame) -> str:
    # The first 2,000 rows of at most 200 columns decide (exports have far fewer columns).
    sample = frame.iloc[:2000, :200]
    for col in range(sample.shape[1]):
        if sample.iloc[:, col].str.strip().str.match(_DECIMAL_COMMA).any():
            return ","
    return "."
