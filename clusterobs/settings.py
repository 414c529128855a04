"""One settings object for the whole project: defaults here, overridden by CLUSTEROBS_* variables or flags."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from clusterobs.paths import (
    ASSETS_DIR,
    DEMO_DIR,
    EXPECTATIONS_DIR,
    PROJECT_ROOT,
    REFERENCE_DIR,
    SQL_DIR,
)
from clusterobs.settings_sections import EurostatApi, Scoreboard, TrendWindow

__all__ = [
    "ASSETS_DIR",
    "DEMO_DIR",
    "EXPECTATIONS_DIR",
    "PROJECT_ROOT",
    "REFERENCE_DIR",
    "SQL_DIR",
    "EurostatApi",
    "Scoreboard",
    "Settings",
    "TrendWindow",
]
MEMORY_SIZE = re.compile(r"\d+(\.\d+)?\s*([KMGT]i?B|B)", re.IGNORECASE)
COUNTRY_CODE = re.compile(r"[A-Z]{2}")
# The default `countries`: the NUTS reference also lists the UK and the EFTA and candidate countries.
EU27 = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
]  # fmt: skip


class Settings(BaseSettings):
    """Every knob of a clusterobs run; paths are relative to the project root unless absolute."""

    model_config = SettingsConfigDict(env_prefix="CLUSTEROBS_", env_nested_delimiter="__")

    source: str = Field(
        "demo", description="'demo' for the bundled extracts, or a folder of extract files"
    )
    registry: Path = Field(
        Path("datasets.toml"), description="dataset registry (which datasets, filters, years)"
    )
    datasets: list[str] | None = Field(
        None,
        description="load only these registry datasets (default: all); the others are absent from the run",
    )
    strict: bool = Field(
        False,
        description="a registry dataset with no extract in the source folder is an error (default: a warning; the run builds what the others support)",
    )
    reference_countries: list[str] | None = Field(
        None,
        description="countries whose regions form the European reference of location quotients and European shares (default: every country in the data)",
    )
    countries: list[str] | None = Field(
        None,
        description="countries whose NUTS regions a too-big Eurostat request is split by (default: EU-27)",
    )
    first_year: int | None = Field(
        None,
        ge=1900,
        le=2100,
        description="first year a run requests from Eurostat and keeps in staging (default: each dataset's registry start)",
    )
    last_year: int | None = Field(
        None,
        ge=1900,
        le=2100,
        description="last year a run requests from Eurostat and keeps in staging (default: each dataset's registry end, or the latest)",
    )
    landing_dir: Path | None = Field(
        None, description="immutable copies of every extract (default: <output_dir>/landing)"
    )
    eurostat: EurostatApi = EurostatApi()
    duckdb_memory_limit: str = Field(
        "2GB", description="DuckDB memory limit of each connection; larger work spills to disk"
    )
    cluster_mapping: Path = Field(
        Path("data/reference/nace_cluster_mapping.csv"),
        description="NACE -> cluster category mapping (nace_code, category_code, allocation_weight, rationale)",
    )
    emerging_mapping: Path = Field(
        Path("data/reference/nace_emerging_mapping.csv"),
        description="NACE -> emerging industry mapping (codes may belong to several emerging industries)",
    )
    output_dir: Path = Field(Path("output"), description="where runs, the warehouse and Parquet go")
    run_lock_timeout_seconds: float = Field(
        0,
        ge=0,
        description="how long a run waits for another run writing the same output folder (0: fail at once)",
    )
    prefect_startup_timeout_seconds: float = Field(
        120,
        gt=0,
        description="how long a command waits for its temporary local Prefect API to be healthy (tried twice); unused with PREFECT_API_URL",
    )
    prefect_heartbeat_seconds: int | None = Field(
        None,
        ge=30,
        description="Prefect's flow-run heartbeat interval for the runs of `clusterobs run` and `ingest` (zombie-run detection with a Prefect automation); unset: off, which saves up to a second at the end of each of a run's flows (Prefect 3.9). The served deployments keep Prefect's own setting",
    )
    run_timeout_seconds: float = Field(
        4 * 3600,
        gt=0,
        description="a run still going after this long fails as its next stage starts; the previous outputs stay",
    )
    keep_runs: int = Field(
        3, ge=1, description="published run folders kept under output/runs (older ones are pruned)"
    )
    keep_failed_runs: int = Field(
        3,
        ge=0,
        description="failed run records kept under output/runs (<run_id>.failed: failure.json, validation results, Data Docs, run.log; the warehouse copy is removed at once)",
    )
    region_year_min_cells_share: float = Field(
        0.2,
        ge=0,
        le=1,
        description="a region-year publishing fewer cells than this share of the region's fullest year is not taken as reported (stray cells under a code of another NUTS version)",
    )
    imputation_split: Literal["proportional", "equal"] = Field(
        "proportional",
        description="how a suppressed cell's share of its parent's remainder is set: in proportion to the country's values of the missing industries (or the sizes of the missing regions), never above the region's part of what its country leaves unpublished; or `equal`, the classic Observatory algorithm exactly (equal shares, no cap)",
    )
    lq_min_reference_employment: float = Field(
        100,
        ge=0,
        description="a category with fewer persons employed than this in the European reference that year gets no location quotient (with a narrow reference_countries, a few estimated jobs made LQs of hundreds of thousands)",
    )
    min_category_scope_share: float = Field(
        0.4,
        ge=0,
        le=1,
        description="a cluster category with a smaller share of its NACE classes inside the SBS regime's scope earns no star (no_star_reason outside_dataset_scope); 0.4 keeps Hospitality and Tourism (8 of 17 classes inside the legacy scope: its accommodation and travel agencies) and drops forestry, finance, insurance, education, performing arts, fishing, agricultural inputs",
    )
    max_imputed_share_for_stars: float = Field(
        0.5,
        ge=0,
        le=1,
        description="a cluster cell whose employment is more than this share estimated (suppressed cells) earns no star (no_star_reason mostly_estimated); its LQ is still published",
    )
    star_max_carry_years: int = Field(
        3,
        ge=0,
        le=20,
        description="a star on a region-wide value (star_profiles.toml, 'region.<indicator>') uses the region's latest value at most this many years old; older or none: the star is unknown (NULL, unknown_reason), not withheld",
    )
    lq_denominator: Literal["total", "traded"] = Field(
        "total",
        description="LQ denominator: all business-economy employment, or traded-cluster employment (US CMP)",
    )
    star_profiles: Path = Field(
        Path("star_profiles.toml"),
        description="cluster star rule sets (every profile is evaluated into marts.fct_cluster_stars)",
    )
    star_profile: str = Field(
        "eco-classic",
        description="the profile whose star count and performance level fct_cluster_region_year shows",
    )
    validate_outputs: bool = Field(
        True,
        description="run the Great Expectations suites (turn off only to measure what validation costs)",
    )
    validation_engine_rows: int = Field(
        100_000,
        ge=0,
        description="tables with more rows have their row-level expectations measured in DuckDB for GX",
    )
    validation_engine_value_set: int = Field(
        100,
        ge=0,
        description="value sets larger than this (NUTS, NACE code lists) are checked in DuckDB for GX",
    )
    max_row_count_drift: float = Field(
        0.25,
        ge=0,
        description="relative change in a table's rows against the last published run that the drift check flags",
    )
    scoreboard: Scoreboard = Scoreboard()
    trend_windows: list[TrendWindow] = Field(
        default_factory=lambda: [
            TrendWindow(start=2008, end=2020),
            TrendWindow(start=2015, end=2020),
            TrendWindow(start=2021, end=2023),
            TrendWindow(start=2018, end=2023),
        ],
        description="windows for fct_cluster_trends; a window across the SBS 2020/2021 regime change gets a break reason, not a number",
    )
    trend_last_years: list[int] = Field(
        default_factory=lambda: [5, 10],
        description="relative windows ending in the last year of the data: the last N years of each",
    )
    trend_full_span: bool = Field(
        True, description="also the window from the first to the last year"
    )
    trend_year_on_year: bool = Field(True, description="also every window of one year")
    trend_max_imputed_share: float = Field(
        0.25,
        ge=0,
        le=1,
        description="no growth from an endpoint whose employment is more than this share estimated (break reason imputed_endpoint)",
    )

    parquet_partitioned: dict[str, list[str]] = Field(
        default_factory=lambda: {"fct_cluster_stars": ["year"], "fct_cluster_timeseries": ["year"]},
        description="marts exported as Hive-partitioned folders (<mart>/year=2019/...), by these columns; the others are one file each",
    )
    nuts_target_version: Literal[2016, 2021, 2024] = Field(
        2021,
        description="NUTS version the cluster tables and trends are expressed in (regions of other versions are converted through ref.nuts_correspondence)",
    )
    download_cache_dir: Path | None = Field(
        None,
        description="Prefect's persisted results of Eurostat downloads, keyed on dataset, filters and Eurostat's `updated` stamp (default: <output_dir>/cache/downloads)",
    )
    timings_file: Path | None = Field(
        None,
        description="write where a command's time went (process start to flow code loaded, Prefect API start, the flow) as JSON to this file; benchmarks/commands.py reads it",
    )
    task_runner: Literal["threads", "dask"] = Field(
        "threads",
        description="where extraction (download and parse) runs: threads of this process, or a Dask cluster (`uv sync --extra dask`)",
    )
    dask_address: str | None = Field(
        None,
        description="scheduler of an existing Dask cluster (tcp://host:8786); unset with task_runner=dask: a local cluster",
    )
    dask_workers: int = Field(
        2,
        ge=1,
        description="worker processes of the local Dask cluster (task_runner=dask, no dask_address)",
    )
    nuts_split_rule: Literal["first_year_shares", "none"] = Field(
        "first_year_shares",
        description="how a region split between NUTS versions is bridged: by its successors' shares in their first reported year, or not at all (kept under its old code, trends get break reason nuts_recode)",
    )

    @field_validator("duckdb_memory_limit")
    @classmethod
    def _memory_size(cls, value: str) -> str:
        if not MEMORY_SIZE.fullmatch(value.strip()):
            raise ValueError(f"{value!r} is not a memory size such as 2GB, 512MB or 1.5GiB")
        return value.strip()

    @field_validator("countries", "reference_countries")
    @classmethod
    def _country_codes(cls, codes: list[str] | None) -> list[str] | None:
        bad = [c for c in codes or [] if not COUNTRY_CODE.fullmatch(c)]
        if bad:
            raise ValueError(
                f"{bad} are not country codes such as DE, FR or EL (two capital letters)"
            )
        return codes

    @model_validator(mode="after")
    def _years_ordered(self) -> Settings:
        if self.first_year and self.last_year and self.last_year < self.first_year:
            raise ValueError(f"last_year {self.last_year} is before first_year {self.first_year}")
        return self

    @property
    def download_cache_path(self) -> Path:
        if self.download_cache_dir:
            return self.resolve(self.download_cache_dir)
        return self.output_path / "cache" / "downloads"

    @property
    def registry_path(self) -> Path:
        return self._project_file(self.registry)

    @property
    def landing_path(self) -> Path:
        return self.resolve(self.landing_dir) if self.landing_dir else self.output_path / "landing"

    @property
    def source_dir(self) -> Path:
        """Folder holding the extract files of this run."""
        if self.source == "demo":
            return DEMO_DIR
        return self.resolve(Path(self.source))

    @property
    def cluster_mapping_path(self) -> Path:
        return self._project_file(self.cluster_mapping)

    @property
    def emerging_mapping_path(self) -> Path:
        return self._project_file(self.emerging_mapping)

    @property
    def star_profiles_path(self) -> Path:
        return self._project_file(self.star_profiles)

    @staticmethod
    def _project_file(path: Path) -> Path:
        """A configuration file: a relative path is looked up from the working folder, then among the
        package's own files (the shipped datasets.toml, star_profiles.toml, reference tables)."""
        if path.is_absolute():
            return path
        here = Path.cwd() / path
        return here.resolve() if here.exists() else ASSETS_DIR / path

    @property
    def output_path(self) -> Path:
        return self.resolve(self.output_dir)

    @property
    def warehouse_path(self) -> Path:
        """Published DuckDB warehouse (a stable link into the current run)."""
        return self.output_path / "clusterobs.duckdb"

    @property
    def parquet_path(self) -> Path:
        """Published Parquet export (a stable link into the current run)."""
        return self.output_path / "parquet"

    @staticmethod
    def resolve(path: Path) -> Path:
        return path if path.is_absolute() else (Path.cwd() / path).resolve()
