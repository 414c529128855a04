"""How a reader fails: DuckDB's errors turned into ExtractErrors that name the file, the line and what to
do (out of memory, a line too long, a damaged or malformed file), and the line-length guard of the CSV
readers."""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import duckdb

from clusterobs.transforms.readers.observations import ExtractError

# The longest line the CSV readers accept (DuckDB's max_line_size; its read buffer is 16 times this, as
# by default). Eurostat's widest lines (a daily series since 1974) are a few hundred kilobytes; a longer
# one is a damaged file, most often one whose line breaks were lost.
MAX_LINE_BYTES = 2_000_000

# What a user raises when DuckDB runs out of memory.
MEMORY_SETTING = "CLUSTEROBS_DUCKDB_MEMORY_LIMIT (setting duckdb_memory_limit)"


def first_line_of(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def duckdb_detail(exc: BaseException) -> str:
    """A DuckDB error in one line: its first line and, for a CSV error, the line saying what is wrong
    (not the offending line itself, which may be megabytes long)."""
    first = first_line_of(exc)
    if "CSV Error on Line" in first:
        for line in str(exc).splitlines()[1:]:
            line = line.strip()
            if line and not line.startswith("Original Line"):
                return f"{first}: {line[:200]}"
    return first


def is_out_of_memory(exc: BaseException) -> bool:
    return (
        isinstance(exc, duckdb.OutOfMemoryException)
        or "out of memory" in first_line_of(exc).lower()
    )


def out_of_memory(path: Path | str, exc: BaseException) -> ExtractError:
    """The error for a file DuckDB ran out of memory reading: says so, and which setting to raise."""
    limit = re.search(r"/\s*([\d.]+\s*[KMGTP]?i?B) used\)", str(exc))
    shown = f" (DuckDB memory limit {limit.group(1)})" if limit else ""
    return ExtractError(
        path,
        None,
        f"out of memory reading the file{shown}: raise {MEMORY_SETTING} [{first_line_of(exc)}]",
    )


def csv_line_options() -> str:
    """read_csv options that read lines of up to MAX_LINE_BYTES (DuckDB refuses a line as long as its
    max_line_size) through a read buffer of 16 lines (its default)."""
    return f"max_line_size = {MAX_LINE_BYTES + 1}, buffer_size = {16 * MAX_LINE_BYTES}"


def is_line_too_long(exc: BaseException) -> bool:
    """A DuckDB CSV error saying a line is over max_line_size, or over its read buffer (then the parallel
    reader 'does not support a full read')."""
    said = [line for line in str(exc).splitlines() if not line.startswith("Original Line")]
    return any(
        "Maximum line size" in line or "does not support a full read" in line for line in said
    )


def first_long_line(path: Path, limit: int) -> tuple[int, int] | None:
    """(number, length in bytes) of the first line of `path` (plain or gzip) longer than `limit` bytes."""
    with path.open("rb") as handle:
        compressed = handle.read(2) == b"\x1f\x8b"
    number, length = 1, 0
    try:
        with (gzip.open if compressed else open)(path, "rb") as handle:
            while block := handle.read(1 << 20):
                start = 0
                while (end := block.find(b"\n", start)) >= 0:
                    if length + end - start > limit:
                        return number, length + end - start
                    number, length, start = number + 1, 0, end + 1
                length += len(block) - start
    except (OSError, EOFError, zlib.error):
        pass  # a damaged end: the line read so far is the last
    return (number, length) if length > limit else None


def line_too_long(path: Path) -> ExtractError:
    """The error for a file with a line over MAX_LINE_BYTES, naming the line (found by reading the file)."""
    found = first_long_line(path, MAX_LINE_BYTES)
    line, size = found if found else (None, None)
    shown = f" ({size:,} bytes)" if size else ""
    return ExtractError(
        path,
        line,
        f"line too long{shown}: the limit is {MAX_LINE_BYTES:,} bytes per line; "
        "a damaged file, or one whose line breaks were lost?",
    )


def raise_on_long_last_line(path: Path) -> None:
    """Raise `line_too_long` if the last line of `path` (plain or gzip) is over MAX_LINE_BYTES.

    DuckDB's parallel CSV reader refuses a long line anywhere but at the end: a last line longer than its
    read buffer is silently left out (DuckDB 2.0), so a file whose line breaks were lost would load
    empty. A plain file's end is read directly; a gzip file is decompressed through (a few percent of
    the cost of reading it)."""
    keep = MAX_LINE_BYTES + 3  # the longest allowed line, its line break and the one before it
    with path.open("rb") as handle:
        compressed = handle.read(2) == b"\x1f\x8b"
        if not compressed:
            handle.seek(max(0, path.stat().st_size - keep))
            tail = handle.read()
    if compressed:
        tail = b""
        try:
            with gzip.open(path, "rb") as handle:
                while block := handle.read(1 << 20):
                    tail = (tail + block)[-keep:] if len(block) < keep else block[-keep:]
        except (OSError, EOFError, zlib.error):
            return  # a damaged file: DuckDB says so
    last = tail.removesuffix(b"\n").removesuffix(b"\r")
    if len(last) - (last.rfind(b"\n") + 1) > MAX_LINE_BYTES:
        raise line_too_long(path)


@contextmanager
def last_line_checked(path: Path) -> Iterator[None]:
    """Run `raise_on_long_last_line` in a thread while the block reads the file (both decompress it, on
    two cores); its error is raised when the block ends, in place of any error of the block's own."""
    with ThreadPoolExecutor(1, thread_name_prefix="last-line") as pool:
        check = pool.submit(raise_on_long_last_line, path)
        try:
            yield
        finally:
            check.result()


def reader_failure(path: Path, exc: BaseException, what: str) -> ExtractError:
    """The ExtractError for a DuckDB error while reading `path`: out of memory and over-long lines are
    named as such, anything else is `what` with DuckDB's reason."""
    if is_out_of_memory(exc):
        return out_of_memory(path, exc)
    if is_line_too_long(exc):
        return line_too_long(path)
    return ExtractError(path, None, f"{what} ({duckdb_detail(exc)})")
