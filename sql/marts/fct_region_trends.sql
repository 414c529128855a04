-- Region-level trends over the trend windows: business-economy employment (CAGR and change), wages (CAGR)
-- and the overall ecosystem scoreboard index (change). No SBS growth across the 2020/2021 regime change
-- (the scopes differ) or from a missing endpoint: break_reason says which. The scoreboard change does not
-- depend on the SBS regime: it is the change of the overall index over the indicators both endpoint years
-- share (fct_scoreboard_changes), or NULL with scoreboard_break_reason; in the countries scored at NUTS 1
-- (scoreboard.nuts1_countries) it is the NUTS-1 region's, named in scoreboard_region_code. Across a NUTS revision: as in fct_cluster_trends (break reason nuts_recode
-- unless the region is bridged into the target version; is_nuts_converted marks bridged endpoints).
-- One row per region x window.
with totals as (
    select * from intermediate.int_region_year__totals
),

scores as (
    select region_code, year, composite_index from marts.fct_ecosystem_scoreboard
    where dimension = 'overall'
),

score_changes as (
    select * from marts.fct_scoreboard_changes
    where dimension = 'overall'
),

windows as (
    select * from intermediate.int_trend_windows__resolved
),

-- Each region with the unit the scoreboard scores it as (itself, or its NUTS-1 region in the countries of
-- scoreboard.nuts1_countries).
regions as (
    select distinct
        totals.region_code,
        coalesce(dim_region.scoreboard_region_code, totals.region_code) as scoreboard_region_code,
    from totals
    left join marts.dim_region as dim_region using (region_code)
),

endpoints as (
    select
        regions.region_code,
        windows.window_start,
        windows.window_end,
        windows.window_kind,
        first_year.total_employment as employment_start,
        last_year.total_employment as employment_end,
        first_year.total_wages_meur as wages_meur_start,
        last_year.total_wages_meur as wages_meur_end,
        first_year.indicator_scheme as scheme_start,
        last_year.indicator_scheme as scheme_end,
        regions.scoreboard_region_code,
        first_score.composite_index as scoreboard_index_start,
        last_score.composite_index as scoreboard_index_end,
        score_change.index_change as scoreboard_index_change,
        score_change.n_common_indicators as scoreboard_common_indicators,
        case
            when score_change.region_code is null then 'missing_endpoint'
            else score_change.break_reason
        end as scoreboard_break_reason,
        first_year.nuts_conversion as nuts_conversion_start,
        last_year.nuts_conversion as nuts_conversion_end,
        regions.region_code in (select region_code from intermediate.int_nuts_regions__recoded)
            as is_recoded_region,
    from regions
    cross join windows
    left join totals as first_year
        on first_year.region_code = regions.region_code and first_year.year = windows.window_start
    left join totals as last_year
        on last_year.region_code = regions.region_code and last_year.year = windows.window_end
    left join scores as first_score
        on first_score.region_code = regions.scoreboard_region_code
        and first_score.year = windows.window_start
    left join scores as last_score
        on last_score.region_code = regions.scoreboard_region_code
        and last_score.year = windows.window_end
    left join score_changes as score_change
        on score_change.region_code = regions.scoreboard_region_code
        and score_change.window_start = windows.window_start
        and score_change.window_end = windows.window_end
),

reasoned as (
    select
        *,
        case
            when scheme_start is null or scheme_end is null then 'missing_endpoint'
            when scheme_start <> scheme_end then 'sbs_regime_change_2020_2021'
            when nuts_conversion_start in ('unbridged', 'incomplete_merge')
                or nuts_conversion_end in ('unbridged', 'incomplete_merge')
                or (is_recoded_region and (employment_start is null or employment_end is null))
                then 'nuts_recode'
            when employment_start is null or employment_end is null then 'missing_endpoint'
            when employment_start <= 0 or employment_end <= 0 then 'non_positive_endpoint'
        end as break_reason,
    from endpoints
),

final as (
    select
        region_code,
        window_start,
        window_end,
        window_kind,
        employment_start,
        employment_end,
        case when break_reason is null
            then power(employment_end / employment_start, 1.0 / (window_end - window_start)) - 1
        end as employment_cagr,
        case when break_reason is null or break_reason = 'non_positive_endpoint'
            then employment_end - employment_start
        end as employment_change,
        case when break_reason is null and wages_meur_start > 0 and wages_meur_end > 0
            then power(wages_meur_end / wages_meur_start, 1.0 / (window_end - window_start)) - 1
        end as wages_cagr,
        scoreboard_region_code,
        scoreboard_index_start,
        scoreboard_index_end,
        scoreboard_index_change,
        scoreboard_common_indicators,
        scoreboard_break_reason,
        break_reason,
        coalesce(nuts_conversion_start, 'unchanged') <> 'unchanged'
            or coalesce(nuts_conversion_end, 'unchanged') <> 'unchanged' as is_nuts_converted,
    from reasoned
)

select * from final
