"""SQL models under sql/<layer>/<name>.sql: discovery, dependency order (parsed with sqlglot) and execution."""

from __future__ import annotations

import graphlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from clusterobs.paths import SQL_DIR
from clusterobs.transforms.duckdb_results import scalar
from clusterobs.transforms.sql_text import sql_literal

LAYERS = ("staging", "intermediate", "marts", "analyst")
SOURCE_SCHEMAS = ("raw", "ref", "config")
_PREFIX = {
    "staging": ("stg_",),
    "intermediate": ("int_",),
    "marts": ("fct_", "dim_"),
    "analyst": ("v_",),
}


class ModelError(ValueError):
    """A model file that breaks the project's conventions or references an unknown model."""


@dataclass(frozen=True)
class Model:
    """One SQL model: a SELECT materialised as table <layer>.<name>."""

    name: str
    layer: str
    path: Path
    sql: str
    description: str
    grain: str
    depends_on: frozenset[str] = field(default_factory=frozenset)
    materialized: str = "table"  # or "view": a header line "-- Materialized: view"
    # "-- Partitioned: country": a country's rows depend only on that country's input rows, so the model
    # can be built one country at a time (clusterobs.partitions, task_runner=dask)
    partitioned_by_country: bool = False

    @property
    def relation(self) -> str:
        return f"{self.layer}.{self.name}"


def parsed_model(path: Path) -> Model:
    """Model read from its file: header comment (description and grain) and the relations it selects from."""
    layer, name = path.parent.name, path.stem
    if layer not in LAYERS:
        raise ModelError(f"{path}: models live in sql/{{{','.join(LAYERS)}}}/")
    if not name.startswith(_PREFIX[layer]):
        raise ModelError(
            f"{path}: a {layer} model's name starts with {' or '.join(_PREFIX[layer])}"
        )
    sql = path.read_text(encoding="utf-8")
    header = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        header.append(line[2:].strip())
    grain = next((h for h in header if h.lower().startswith("one row per")), None)
    if grain is None:
        raise ModelError(f"{path}: the header comment must state the grain ('-- One row per ...')")
    materialized = "table"
    for line in header:
        if line.lower().startswith("materialized:"):
            materialized = (line.split(":", 1)[1].split() or [""])[0].lower()  # a note may follow
            if materialized not in ("table", "view"):
                raise ModelError(
                    f"{path}: 'Materialized:' is 'table' or 'view', not {materialized!r}"
                )
    partitioned = [
        (h.split(":", 1)[1].split() or [""])[0]  # a note may follow
        for h in header
        if h.lower().startswith("partitioned:")
    ]
    if partitioned and partitioned != ["country"]:
        raise ModelError(f"{path}: 'Partitioned:' is 'country', not {partitioned[0]!r}")
    description = " ".join(
        h
        for h in header
        if h != grain and not h.lower().startswith(("materialized:", "partitioned:"))
    )
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise ModelError(f"{path}: cannot parse SQL: {exc}") from exc
    refs = frozenset(f"{t.db}.{t.name}" for t in tree.find_all(exp.Table) if t.db)
    unknown_schemas = {r for r in refs if r.split(".")[0] not in LAYERS + SOURCE_SCHEMAS}
    if unknown_schemas:
        raise ModelError(
            f"{path}: references outside the known schemas: {', '.join(sorted(unknown_schemas))}"
        )
    return Model(name, layer, path, sql, description, grain, refs, materialized, bool(partitioned))


def discovered_models(sql_dir: Path = SQL_DIR) -> dict[str, Model]:
    """All models keyed by relation name (layer.name)."""
    models = [parsed_model(p) for layer in LAYERS for p in sorted((sql_dir / layer).glob("*.sql"))]
    return {m.relation: m for m in models}


def ordered_models(models: dict[str, Model], layers: tuple[str, ...] = LAYERS) -> list[Model]:
    """Models of the given layers in dependency order; raises on references to models that do not exist."""
    graph = {}
    for relation, model in models.items():
        model_deps = {d for d in model.depends_on if d.split(".")[0] in LAYERS}
        missing = model_deps - models.keys()
        if missing:
            raise ModelError(
                f"{model.path}: references unknown model(s) {', '.join(sorted(missing))}"
            )
        graph[relation] = model_deps
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        raise ModelError(
            f"models depend on each other in a cycle: {' -> '.join(exc.args[1])}"
        ) from exc
    return [models[r] for r in order if models[r].layer in layers]


def upstream_relations(models: dict[str, Model], relation: str) -> set[str]:
    """Every relation (models and sources such as raw.<dataset>) `relation` is built from, directly or not."""
    seen: set[str] = set()
    todo = [relation]
    while todo:
        current = todo.pop()
        for dependency in models[current].depends_on if current in models else ():
            if dependency not in seen:
                seen.add(dependency)
                todo.append(dependency)
    return seen


def country_partitioned(models: dict[str, Model]) -> list[Model]:
    """The models marked `Partitioned: country`, in dependency order; raises unless each reads only
    staging, ref and config relations and other partitioned models (what a country's build can have)."""
    chosen = [m for m in ordered_models(models) if m.partitioned_by_country]
    names = {m.relation for m in chosen}
    for model in chosen:
        outside = {
            d
            for d in model.depends_on
            if d.split(".")[0] in LAYERS and d.split(".")[0] != "staging" and d not in names
        }
        if outside:
            raise ModelError(
                f"{model.path}: partitioned by country, but reads {', '.join(sorted(outside))}, "
                "which is not (mark it 'Partitioned: country' too, or remove the mark)"
            )
    return chosen


def run_model(
    con: duckdb.DuckDBPyConnection, model: Model, select_sql: str | None = None
) -> int | None:
    """Materialise one model as a table (rows returned) or a view (None), its description and grain as
    the comment; `select_sql` instead of the model's SQL gives the same relation built elsewhere."""
    con.execute(f"create schema if not exists {model.layer}")
    existing = con.execute(
        "select table_type from information_schema.tables where table_schema = ? and table_name = ?",
        [model.layer, model.name],
    ).fetchall()
    kind = model.materialized
    if existing and existing[0][0] != ("VIEW" if kind == "view" else "BASE TABLE"):
        con.execute(f"drop {'table' if kind == 'view' else 'view'} {model.relation}")
    con.execute(f"create or replace {kind} {model.relation} as\n{select_sql or model.sql}")
    comment = f"{model.description} Grain: {model.grain}".strip()
    con.execute(f"comment on {kind} {model.relation} is {sql_literal(comment)}")
    if kind == "view":
        return None
    return scalar(con, f"select count(*) from {model.relation}")
