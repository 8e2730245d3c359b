"""Reading the files users hand to the command line: UTF-8 text, CSV and TSV.

Every input file (config YAML, SERIES.csv, SNAPSHOTS.csv, the TSVs of ``score`` and
``model eval``, the labelled training data) is decoded here, so each accepts the same
thing: UTF-8 with or without a byte-order mark. Anything else is one
:class:`~listening.errors.InputError` naming the file, the line and, when the bytes read
cleanly as one, the legacy encoding it was probably saved in (CP949 from Korean Excel,
Shift-JIS from Japanese Excel) with how to re-save it. Guessing and decoding silently is
not done: a wrong guess would store mojibake without a word.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from listening.errors import InputError

__all__ = ["BOM", "CsvFile", "TextFile", "read_csv", "read_text"]

BOM = "\ufeff"
#: Legacy encodings worth naming, with the script a file in them is mostly written in. Korean is tried as
#: EUC-KR (the KS X 1001 core of CP949 that everyday Korean text uses): full CP949 also decodes Shift-JIS kana.
_LEGACY = (("euc_kr", "CP949/EUC-KR (what Korean Excel saves)", "HANGUL"),
           ("cp932", "Shift-JIS (what Japanese Excel saves)", ("HIRAGANA", "KATAKANA", "CJK")))
_RESAVE = "save it as UTF-8 (in Excel: Save As > 'CSV UTF-8')"


@dataclass(frozen=True)
class TextFile:
    """A file's text without its byte-order mark, and whether it had one."""

    text: str
    bom: bool = False


def read_text(path: Path, what: str = "a text file") -> TextFile:
    """The text of ``path`` (``what`` names it in errors); :class:`InputError` if missing, unreadable or not UTF-8."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected {what}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror or exc}), expected {what}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        guess = legacy_encoding(data)
        looks = f"; it looks like {guess}" if guess else ""
        raise InputError(f"{path}:{line}: not valid UTF-8 ({exc.reason} at byte {exc.start}){looks}; {_RESAVE}") from None
    return TextFile(text.removeprefix(BOM), text.startswith(BOM))


def legacy_encoding(data: bytes) -> str | None:
    """The legacy encoding ``data`` reads cleanly in and mostly as its script, or None.

    >>> legacy_encoding("로그인 오류".encode("cp949"))
    'CP949/EUC-KR (what Korean Excel saves)'
    >>> legacy_encoding("ログインできない".encode("shift_jis"))
    'Shift-JIS (what Japanese Excel saves)'
    >>> legacy_encoding(bytes(range(128, 256))) is None
    True
    """
    best, best_share = None, 0.5
    for codec, name, scripts in _LEGACY:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        wide = [ch for ch in text if ord(ch) > 0x7F]
        if not wide:
            continue
        share = sum(unicodedata.name(ch, "").startswith(scripts) for ch in wide) / len(wide)
        if share > best_share:
            best, best_share = name, share
    return best


@dataclass(frozen=True)
class CsvFile:
    """A CSV file's header (names stripped and lower-cased, mapped to their index) and its records."""

    path: Path
    columns: dict[str, int]
    width: int
    _text: str

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line number, cells) of every record after the header that is not blank."""
        reader = csv.reader(io.StringIO(self._text, newline=""))
        try:
            next(reader, None)
            for line, row in enumerate(reader, start=2):
                if any(cell.strip() for cell in row):
                    yield line, row
        except csv.Error as exc:
            raise InputError(f"{self.path}: line {reader.line_num}: not readable as CSV ({exc})") from None


def read_csv(path: Path, required: Sequence[str], what: str = "a CSV file") -> CsvFile:
    """Open a CSV whose header must name ``required`` (any order, any case, extra columns allowed)."""
    path = Path(path)
    text = read_text(path, what).text
    try:
        header = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error as exc:
        raise InputError(f"{path}: line 1: not readable as CSV ({exc})") from None
    names = [h.strip().lower() for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        raise InputError(f"{path}: line 1: missing column(s) {', '.join(missing)}; need {','.join(required)}")
    return CsvFile(path, {c: names.index(c) for c in required}, len(names), text)
