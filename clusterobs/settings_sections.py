"""The nested sections of the settings: trend windows, the scoreboard's treatment of its indicators, and
the Eurostat API client's limits (each a `CLUSTEROBS_<SECTION>__<FIELD>` variable or a flow parameter)."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator, model_validator


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


class Scoreboard(BaseModel):
    """How the regional ecosystem scoreboard treats, normalises, combines and groups its indicators."""

    outlier_sd: float = Field(
        3.0,
        gt=0,
        description="values beyond mean +/- this many standard deviations are capped there",
    )
    max_carry_years: int = Field(
        2, ge=0, description="a missing value takes the latest one at most this many years older"
    )
    dimension_weights: dict[str, float] = Field(
        default_factory=dict,
        description="weight of each dimension in the overall composite (missing: 1)",
    )
    min_coverage: float = Field(
        0.6,
        ge=0,
        le=1,
        description="a composite from fewer than this share of its catalogue indicators is published without a "
        "performance group or rank, and a change between two years over fewer common indicators is not computed "
        "(unverified: the Regional Innovation Scoreboard's own rule is not published in this form)",
    )
    nuts1_countries: list[str] = Field(
        default_factory=lambda: ["BE", "DE", "UK"],
        description="countries scored at NUTS 1, as the scoreboard does (their NUTS-2 regions take their "
        "NUTS-1 region's score in region-level outputs, flagged by `scoreboard_region_code`)",
    )
    eu_aggregates: list[str] = Field(
        default_factory=lambda: ["EU27_2020", "EU28"],
        description="Eurostat aggregates (codes of data/reference/geo_aggregates.csv) whose value is EU = 100 "
        "in the indices, in order of preference: an indicator and year take the first one the extracts carry, "
        "else the scored regions' average is 100 (an empty list: always the average)",
    )
    leader_index: float = Field(125, description="overall index above which a region is a leader")
    strong_index: float = Field(100, description="... strong (up to leader_index)")
    moderate_index: float = Field(
        70, description="... moderate (up to strong_index); below: emerging"
    )
    peer_count: int = Field(5, ge=1, description="peers listed per region")
    peer_variables: list[str] = Field(
        default_factory=lambda: [
            "gdp_pps_per_head",
            "knowledge_services_employment_share",
            "star_cluster_employment_share",
        ],
        min_length=1,
        description="indicators (standardised) on which peer regions are the nearest",
    )

    @field_validator("nuts1_countries")
    @classmethod
    def _country_codes(cls, codes: list[str]) -> list[str]:
        wrong = [c for c in codes if not (len(c) == 2 and c.isalpha() and c.isupper())]
        if wrong:
            raise ValueError(f"not a two-letter country code (e.g. DE): {', '.join(wrong)}")
        return codes

    @field_validator("eu_aggregates")
    @classmethod
    def _distinct(cls, codes: list[str]) -> list[str]:
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise ValueError(f"named more than once: {', '.join(repeated)}")
        return codes

    @model_validator(mode="after")
    def _ordered(self) -> Scoreboard:
        if not self.leader_index > self.strong_index > self.moderate_index:
            raise ValueError("leader_index > strong_index > moderate_index is required")
        if any(w < 0 for w in self.dimension_weights.values()):
            raise ValueError("dimension weights cannot be negative")
        return self


class EurostatApi(BaseModel):
    """Where and how politely to call Eurostat's APIs (DOMAIN.md 1.2)."""

    sdmx_base_url: str = "https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1"
    statistics_base_url: str = "https://ec.europa.eu/eurostat/api/dissemination/statistics/1.0"
    timeout_seconds: float = Field(
        120.0, gt=0, description="per request: connect, read and write timeout"
    )
    retries: int = Field(
        4, ge=0, description="retries of a request after a 429, a 5xx, a timeout or a broken body"
    )
    backoff_initial_seconds: float = Field(
        2.0, ge=0, description="first retry delay; doubles each retry, with jitter"
    )
    backoff_max_seconds: float = Field(
        60.0, ge=0, description="longest retry delay (also caps Retry-After)"
    )
    max_concurrency: int = Field(2, ge=1, description="requests in flight at once, across datasets")
    max_split_depth: int = Field(
        12, ge=0, description="how many times a too-big request may be halved"
    )
    task_retries: int = Field(
        2, ge=0, description="Prefect retries of a whole dataset download after the request retries"
    )
    task_retry_delay_seconds: list[float] = Field(
        default_factory=lambda: [30.0, 120.0], description="delays between those"
    )
    task_timeout_seconds: float = Field(
        3600.0,
        gt=0,
        description="Prefect timeout of one dataset's download task (all its requests)",
    )
