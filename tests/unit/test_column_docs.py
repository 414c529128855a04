"""Column meanings kept in the schema files next to the models (sql/<layer>/_schema.toml)."""

from __future__ import annotations

import shutil

import pytest

from clusterobs import catalog, models
from clusterobs.paths import SQL_DIR


def test_every_mart_has_its_columns_documented_and_every_entry_names_a_model():
    docs = catalog.documented_columns()
    marts = [m.name for m in models.discovered_models().values() if m.layer == "marts"]
    assert marts and all(docs.get(name) for name in marts), [m for m in marts if not docs.get(m)]
    assert docs["fct_cluster_region_year"]["lq"].startswith("location quotient")
    # an analyst view documents only its label columns, and takes the rest from the marts it reads
    view = models.discovered_models()["analyst.v_cluster_region_year"]
    meanings = catalog.column_meanings(docs, view)
    assert "lq" not in docs["v_cluster_region_year"]
    assert meanings["lq"] == docs["fct_cluster_region_year"]["lq"]
    assert meanings["region_name"] == docs["v_cluster_region_year"]["region_name"]


def sql_copy(tmp_path):
    copy = tmp_path / "sql"
    shutil.copytree(SQL_DIR, copy)
    return copy


def test_an_entry_for_a_model_that_does_not_exist_is_named(tmp_path):
    sql_dir = sql_copy(tmp_path)
    with (sql_dir / "marts" / catalog.SCHEMA_FILE).open("a") as schema:
        schema.write('\n[fct_cluster_region_yaer]\nlq = "typo in the model name"\n')
    with pytest.raises(
        catalog.SchemaFileError,
        match=r"marts/_schema.toml: \[fct_cluster_region_yaer\] is not a model of sql/marts/",
    ):
        catalog.documented_columns(sql_dir)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[fct_cluster_stars]\nis_star = 1\n",
            r'\[fct_cluster_stars\] must hold `column = "meaning"`',
        ),
        ("[fct_cluster_stars\n", r"not valid TOML"),
    ],
)
def test_a_schema_file_that_is_not_column_meanings_is_refused(tmp_path, text, message):
    sql_dir = sql_copy(tmp_path)
    (sql_dir / "marts" / catalog.SCHEMA_FILE).write_text(text)
    with pytest.raises(catalog.SchemaFileError, match=message):
        catalog.documented_columns(sql_dir)
