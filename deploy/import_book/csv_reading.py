"""Reading one CSV file of a book as hostile input: bounded in size, strict UTF-8, a header of known columns,
every record the header's width, and each record's line number kept for the messages.

Nothing in a cell is ever interpreted here: a cell is text (one starting with `=`, `+`, `-` or `@` too, which
spreadsheets would take for a formula). What a cell must hold is the columns' business (`cells`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

MAX_FILE_BYTES = 64 * 1024 * 1024
"""A book file is refused above 64 MiB (the largest import the suite takes is far smaller)."""
MAX_RECORDS = 200_000
"""Records per file, the header aside."""
MAX_CELL_CHARS = 100_000
"""Characters of one cell as the CSV reader sees it (columns allow less: `cells`)."""
_BOM = "\ufeff"


class _Reader(Protocol):
    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...

    def __next__(self) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class Where:
    """A place in the input, as messages name it: the file, the record's first line, and the column."""

    file: str
    line: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        text = self.file
        if self.line is not None:
            text += f" line {self.line}"
        if self.column is not None:
            text += f", column {self.column}"
        return text


@dataclass
class Problems:
    """Every input problem found: the import goes on only when there is none."""

    found: list[tuple[Where, str]] = field(default_factory=list)

    def add(self, where: Where, message: str) -> None:
        self.found.append((where, message))

    def __bool__(self) -> bool:
        return bool(self.found)

    def listed(self, files: Sequence[str]) -> list[str]:
        """Each problem as `<file> line <n>, column <c>: <message>`, by file (in the order of `files`) and line."""

        def place(problem: tuple[Where, str]) -> tuple[int, int]:
            where = problem[0]
            order = files.index(where.file) if where.file in files else len(files)
            return order, where.line or 0

        return [f"{where}: {message}" for where, message in sorted(self.found, key=place)]


@dataclass(frozen=True, slots=True)
class Record:
    """One record of a file: the line it starts on and its cells by column name (only the file's columns)."""

    line: int
    cells: dict[str, str]


@dataclass(frozen=True, slots=True)
class Table:
    file: str
    columns: tuple[str, ...]
    records: tuple[Record, ...]


def read_table(path: Path, known: Sequence[str], required: Sequence[str], problems: Problems) -> Table | None:
    """The file's records, or None after adding to `problems` why it cannot be read: missing, too large, not
    UTF-8, a NUL byte, broken quoting, a header with missing or repeated columns, too many records. A record of
    another width than the header, or an unknown column, is added to `problems` too."""
    name = path.name
    text = _text(path, problems)
    if text is None:
        return None
    with _cell_limit(MAX_CELL_CHARS):
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        try:
            header, records = _header(reader, name, problems), list(_records(reader, name, problems))
        except csv.Error as exc:
            problems.add(
                Where(name, reader.line_num),
                f"not readable as CSV ({exc}); quote cells with commas, quotes "
                "or line breaks in double quotes, and double a quote inside them",
            )
            return None
    if header is None or not _columns_known(header, known, required, name, problems):
        return None
    table: list[Record] = []
    for line, cells in records:
        if len(cells) != len(header):
            problems.add(Where(name, line), f"{len(cells)} cells where the header has {len(header)} columns")
            continue
        table.append(Record(line, {c: cell for c, cell in zip(header, cells, strict=True) if c in known}))
    return Table(name, tuple(header), tuple(table))


def _text(path: Path, problems: Problems) -> str | None:
    name = path.name
    if not path.is_file():
        problems.add(Where(name), f"missing: {path} is not a file (an empty book file holds its header line only)")
        return None
    with path.open("rb") as stream:
        data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        problems.add(Where(name), f"more than {MAX_FILE_BYTES:,} bytes: split the book")
        return None
    try:
        text = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 1].hex()
        problems.add(Where(name, line), f"not UTF-8 (byte 0x{bad}): save the file as UTF-8")
        return None
    if "\x00" in text:
        problems.add(Where(name, text.count("\n", 0, text.index("\x00")) + 1), "holds a NUL byte: not a text file")
        return None
    return text.removeprefix(_BOM)  # spreadsheets often start UTF-8 with a byte order mark


def _header(reader: _Reader, name: str, problems: Problems) -> list[str] | None:
    for cells in reader:
        if cells:
            return [cell.strip() for cell in cells]
    problems.add(Where(name), "empty: the first line names the columns")
    return None


def _records(reader: _Reader, name: str, problems: Problems) -> Iterator[tuple[int, list[str]]]:
    """Each non-empty record with the line it starts on (a quoted cell may span lines)."""
    count = 0
    while True:
        start = reader.line_num + 1
        cells = next(reader, None)
        if cells is None:
            return
        if not cells or cells == [""]:
            continue  # a blank line
        count += 1
        if count > MAX_RECORDS:
            problems.add(Where(name, start), f"more than {MAX_RECORDS:,} records: split the book")
            return
        yield start, cells


def _columns_known(
    header: Sequence[str], known: Sequence[str], required: Sequence[str], name: str, problems: Problems
) -> bool:
    """Whether the records can be read by the header: no column repeated or missing. An unknown column is a
    problem too, but the records are still read (without it), so that one run reports every problem."""
    readable = True
    repeated = sorted({column for column in header if header.count(column) > 1})
    if repeated:
        problems.add(Where(name, 1), f"repeated columns: {', '.join(repeated)}")
        readable = False
    unknown = [column for column in header if column not in known]
    if unknown:
        shown = ", ".join(repr(c[:40]) for c in unknown[:10]) + (
            f" and {len(unknown) - 10:,} more" if unknown[10:] else ""
        )
        problems.add(Where(name, 1), f"unknown columns: {shown} (the columns are: {', '.join(known)})")
    missing = [column for column in required if column not in header]
    if missing:
        problems.add(Where(name, 1), f"missing columns: {', '.join(missing)}")
        readable = False
    return readable


@contextmanager
def _cell_limit(chars: int) -> Iterator[None]:
    """The csv module's field size limit is process-wide: set it for this read only."""
    before = csv.field_size_limit(chars)
    try:
        yield
    finally:
        csv.field_size_limit(before)
