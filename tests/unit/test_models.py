"""Model discovery and dependency order, derived from the SQL itself."""

from __future__ import annotations

import pytest

from clusterobs import models


def test_every_model_states_grain_and_follows_naming():
    found = models.discovered_models()
    assert {
        "staging.stg_sbs_r_nuts06_r2",
        "marts.fct_cluster_region_year",
        "marts.fct_cluster_trends",
    } <= found.keys()
    for model in found.values():
        assert model.grain.lower().startswith("one row per")
        assert model.description


def test_dependencies_come_before_dependents():
    ordered = [m.relation for m in models.ordered_models(models.discovered_models())]
    position = {r: i for i, r in enumerate(ordered)}
    for model in models.discovered_models().values():
        for dep in model.depends_on:
            if dep in position:
                assert position[dep] < position[model.relation], (dep, model.relation)
    assert position["marts.fct_cluster_region_year"] < position["marts.fct_cluster_trends"]


def test_layers_filter_keeps_only_those_layers():
    staging = models.ordered_models(models.discovered_models(), ("staging",))
    assert staging and all(m.layer == "staging" for m in staging)


def write_model(root, layer, name, body):
    folder = root / layer
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.sql").write_text(f"-- Test model.\n-- One row per thing.\n{body}\n")


def test_reference_to_missing_model_is_an_error(tmp_path):
    write_model(tmp_path, "marts", "fct_a", "select * from intermediate.int_missing")
    with pytest.raises(models.ModelError, match="int_missing"):
        models.ordered_models(models.discovered_models(tmp_path))


def test_cycle_is_an_error(tmp_path):
    write_model(tmp_path, "intermediate", "int_a", "select * from intermediate.int_b")
    write_model(tmp_path, "intermediate", "int_b", "select * from intermediate.int_a")
    with pytest.raises(models.ModelError, match="cycle"):
        models.ordered_models(models.discovered_models(tmp_path))


def test_model_without_grain_is_refused(tmp_path):
    (tmp_path / "staging").mkdir()
    (tmp_path / "staging" / "stg_x.sql").write_text("-- no grain here\nselect 1\n")
    with pytest.raises(models.ModelError, match="grain"):
        models.discovered_models(tmp_path)


def test_wrong_prefix_is_refused(tmp_path):
    write_model(tmp_path, "marts", "cluster_table", "select 1")
    with pytest.raises(models.ModelError, match="fct_ or dim_"):
        models.discovered_models(tmp_path)


def test_a_model_can_be_a_view_and_switch_between_view_and_table(tmp_path):
    import duckdb

    folder = tmp_path / "sql" / "intermediate"
    folder.mkdir(parents=True)
    path = folder / "int_numbers.sql"
    path.write_text(
        "-- Numbers.\n-- One row per number.\n-- Materialized: view (a note)\nselect 1 as n\n"
    )
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    view = models.discovered_models(tmp_path / "sql")["intermediate.int_numbers"]
    assert view.materialized == "view" and "Materialized" not in view.description
    assert models.run_model(con, view) is None
    kinds = "select table_type from information_schema.tables where table_name = 'int_numbers'"
    assert con.execute(kinds).fetchall() == [("VIEW",)]
    path.write_text("-- Numbers.\n-- One row per number.\nselect 1 as n union all select 2\n")
    table = models.discovered_models(tmp_path / "sql")["intermediate.int_numbers"]
    assert models.run_model(con, table) == 2
    assert con.execute(kinds).fetchall() == [("BASE TABLE",)]
    path.write_text("-- Numbers.\n-- One row per number.\n-- Materialized: ephemeral\nselect 1\n")
    with pytest.raises(models.ModelError, match="'table' or 'view', not 'ephemeral'"):
        models.discovered_models(tmp_path / "sql")


def test_partitioned_models_may_read_only_staging_sources_and_each_other(tmp_path):
    write_model(tmp_path, "staging", "stg_a", "select 1 as x")
    (tmp_path / "intermediate").mkdir()
    (tmp_path / "intermediate" / "int_b.sql").write_text(
        "-- B.\n-- One row per x.\n-- Partitioned: country (note)\nselect * from staging.stg_a join ref.r using (x)\n"
    )
    (tmp_path / "intermediate" / "int_c.sql").write_text(
        "-- C.\n-- One row per x.\n-- Partitioned: country\nselect * from intermediate.int_b\n"
    )
    found = models.discovered_models(tmp_path)
    chosen = models.country_partitioned(found)
    assert [m.relation for m in chosen] == ["intermediate.int_b", "intermediate.int_c"]
    assert (
        found["intermediate.int_b"].description == "B."
    )  # the mark is not part of the description

    write_model(tmp_path, "intermediate", "int_d", "select 1 as x")
    (tmp_path / "intermediate" / "int_c.sql").write_text(
        "-- C.\n-- One row per x.\n-- Partitioned: country\nselect * from intermediate.int_d\n"
    )
    with pytest.raises(
        models.ModelError,
        match=r"int_c\.sql: partitioned by country, but reads intermediate\.int_d",
    ):
        models.country_partitioned(models.discovered_models(tmp_path))


def test_partition_mark_names_country(tmp_path):
    (tmp_path / "intermediate").mkdir()
    (tmp_path / "intermediate" / "int_b.sql").write_text(
        "-- B.\n-- One row per x.\n-- Partitioned: year\nselect 1\n"
    )
    with pytest.raises(models.ModelError, match="'Partitioned:' is 'country', not 'year'"):
        models.discovered_models(tmp_path)


def test_the_project_partitions_the_sbs_chain_by_country():
    chosen = models.country_partitioned(models.discovered_models())
    assert {m.name for m in chosen} == {
        "int_sbs_region_years__reporting",
        "int_sbs__unioned",
        "int_sbs_parts__estimated",
        "int_sbs_estimates__computed",
        "int_sbs__imputed",
        "int_cluster_region_year__mapped",
        "int_region_year__reported",
    }
