"""One settings object for the whole project: defaults here, overridden by CLUSTEROBS_* variables or flags."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class TrendWindow(BaseModel):
    """A closed year window [start, end] over which growth is measured."""

    start: int
    end: int

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: int, info) -> int:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError(f"trend window end ({end}) must be after its start ({start})")
        return end


class StarRules(BaseModel):
    """Thresholds of the classic European Cluster Observatory stars (DOMAIN.md 2)."""

    size_top_share: float = Field(
        0.10,
        gt=0,
        lt=1,
        description="size star: top share of regions by employment within a category-year",
    )
    specialisation_min_lq: float = Field(
        2.0, gt=0, description="specialisation star: LQ at or above this value"
    )
    focus_top_share: float = Field(
        0.10,
        gt=0,
        lt=1,
        description="focus star (rule unverified): top share of regions by the category's share of regional employment",
    )


class Settings(BaseSettings):
    """Every knob of a clusterobs run; paths are relative to the project root unless absolute."""

    model_config = SettingsConfigDict(env_prefix="CLUSTEROBS_", env_nested_delimiter="__")

    source: str = Field(
        "demo", description="'demo' for the bundled extracts, or a folder of extract files"
    )
    datasets: list[str] = Field(
        default_factory=lambda: [
            "sbs_r_nuts06_r2",
            "sbs_r_nuts2021",
            "lfst_r_lfe2en2",
            "nama_10r_2gdp",
            "rd_e_gerdreg",
            "bd_hgnace2_r3",
        ],
        description="datasets a run loads; the source folder holds <dataset>.tsv or <dataset>.tsv.gz for each",
    )
    cluster_mapping: Path = Field(
        Path("data/reference/nace_cluster_mapping.csv"),
        description="NACE -> cluster category mapping (nace_code, category_code, allocation_weight, rationale)",
    )
    output_dir: Path = Field(Path("output"), description="where runs, the warehouse and Parquet go")
    keep_runs: int = Field(
        3, ge=1, description="published run folders kept under output/runs (older ones are pruned)"
    )
    lq_denominator: Literal["total", "traded"] = Field(
        "total",
        description="LQ denominator: all business-economy employment, or traded-cluster employment (US CMP)",
    )
    stars: StarRules = StarRules()
    trend_windows: list[TrendWindow] = Field(
        default_factory=lambda: [
            TrendWindow(start=2008, end=2020),
            TrendWindow(start=2015, end=2020),
            TrendWindow(start=2021, end=2023),
            TrendWindow(start=2018, end=2023),
        ],
        description="windows for fct_cluster_trends; a window across the SBS 2020/2021 regime change gets a break reason, not a number",
    )

    @property
    def source_dir(self) -> Path:
        """Folder holding the extract files of this run."""
        if self.source == "demo":
            return PROJECT_ROOT / "data" / "demo"
        return self.resolve(Path(self.source))

    @property
    def cluster_mapping_path(self) -> Path:
        """Mapping file; a relative path is looked up from the working folder, then the project root."""
        if self.cluster_mapping.is_absolute():
            return self.cluster_mapping
        here = Path.cwd() / self.cluster_mapping
        return here.resolve() if here.exists() else PROJECT_ROOT / self.cluster_mapping

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


SQL_DIR = PROJECT_ROOT / "sql"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
REFERENCE_DIR = PROJECT_ROOT / "data" / "reference"
DEMO_DIR = PROJECT_ROOT / "data" / "demo"
