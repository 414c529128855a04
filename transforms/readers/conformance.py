"""A parsed extract held against what the dataset registry declares for it (schema drift between vintages).

Eurostat changes a dataset's structure over the years: the 2017 `lfst_r_lfe2en2` has no `sex` dimension,
older files write `THS` where newer ones write `THS_PER`, some carry dimensions or codes the registry does
not know. A dimension the file lacks is read as its total when the registry says which code the total is
and asks for it (`totals`, `filters`); otherwise the file is refused with one line naming the dataset,
file, dimension and the codes expected. Extra dimensions, codes under another name (an alias) and codes
the registry does not ask for are reported as notes, never fatal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from clusterobs.transforms.readers.observations import (
    ExtractError,
    ParsedExtract,
    dimension_type,
    quoted,
    sql_literal,
)

SHOWN_CODES = 6


@dataclass(frozen=True)
class DeclaredSchema:
    """What the registry declares for a dataset: its dimensions, the codes it filters on, the code that
    stands for each dimension's total, and older names of codes (alias -> code, per dimension)."""

    dataset: str
    dimensions: list[str]
    filters: dict[str, list[str]] = field(default_factory=dict)
    totals: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, dict[str, str]] = field(default_factory=dict)


def conformed_extract(
    con: duckdb.DuckDBPyConnection, extract: ParsedExtract, declared: DeclaredSchema, source: str
) -> list[str]:
    """Bring `extract` (its table altered in place) to the declared dimensions; returns the notes to keep
    in lineage (those a user must see are also added to `extract.warnings`). Raises ExtractError for a
    dimension the file lacks that cannot be read as its total."""
    present = [d for d in extract.dimensions if d != "freq"]
    declared_dims = [d for d in declared.dimensions if d != "freq"]
    notes = []
    for dimension in (d for d in declared_dims if d not in present):
        total = declared.totals.get(dimension)
        wanted = declared.filters.get(dimension)
        if total is None or (wanted and total not in wanted):
            expected = ", ".join(wanted) if wanted else "any code (the registry does not filter it)"
            hint = (
                f"the registry's total for it is {total}, which its filter does not ask for"
                if total
                else "declare its total code under [datasets." + declared.dataset + ".totals] "
                "if a file without it stands for the total"
            )
            raise ExtractError(
                source,
                1,
                f"{declared.dataset}: the file has no {dimension} dimension; expected codes: {expected} ({hint})",
            )
        con.execute(
            f"alter table {extract.table} add column {quoted(dimension)} "
            f"{dimension_type([total])} default {sql_literal(total)}"
        )
        notes.append(
            f"{declared.dataset}: dimension {dimension} absent from the file: read as {dimension} = {total} (the total)"
        )
    for dimension in (d for d in present if d not in declared_dims):
        codes = _codes(con, extract.table, dimension)
        note = f"{declared.dataset}: extra dimension {dimension} (codes {_shown(codes)}) is not in the registry: kept in raw, not used by staging"
        notes.append(note)
        extract.warnings.append(f"{source}: {note}")
    for dimension, wanted in declared.filters.items():
        if dimension not in present or dimension == "freq":
            continue
        codes = _codes(con, extract.table, dimension)
        aliases = {
            alias: code
            for alias, code in declared.aliases.get(dimension, {}).items()
            if alias in codes and code in wanted
        }
        for alias, code in sorted(aliases.items()):
            notes.append(
                f"{declared.dataset}: {dimension} code {alias} is read as {code} (an older name, data/reference/code_aliases.csv)"
            )
        found = set(wanted) & (set(codes) | set(aliases.values()))
        if not found:
            note = f"{declared.dataset}: none of the {dimension} codes the registry asks for ({', '.join(wanted)}) is in the file (it has {_shown(codes)}): staging keeps no row of it"
            notes.append(note)
            extract.warnings.append(f"{source}: {note}")
        elif len(found) < len(wanted):
            notes.append(
                f"{declared.dataset}: {dimension} codes {', '.join(sorted(set(wanted) - found))} asked for by the registry are not in the file"
            )
        other = sorted(set(codes) - set(wanted) - set(aliases))
        if other:
            notes.append(
                f"{declared.dataset}: {dimension} codes the registry does not ask for are kept in raw only: {_shown(other)}"
            )
    extract.dimensions[:] = (
        (["freq"] if "freq" in extract.dimensions else [])
        + declared_dims
        + [d for d in present if d not in declared_dims]
    )
    return notes


def _codes(con: duckdb.DuckDBPyConnection, table: str, dimension: str) -> list[str]:
    rows = con.execute(
        f"select distinct {quoted(dimension)}::varchar from {table} order by 1"
    ).fetchall()
    return [r[0] for r in rows if r[0] is not None]


def _shown(codes: list[str]) -> str:
    head = ", ".join(codes[:SHOWN_CODES])
    return head + (f" and {len(codes) - SHOWN_CODES} more" if len(codes) > SHOWN_CODES else "")
