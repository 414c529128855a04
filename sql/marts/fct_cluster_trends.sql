-- Employment growth of each region-category over the configured windows; no growth across a series break
-- (flag b in the window, or one endpoint flagged d, definition differs, and the other not),
-- the SBS 2020/2021 regime change, or from an endpoint that is missing or a partial sum (source cells that
-- could not be estimated) or mostly estimated (more than trend_max_imputed_share of its employment): such
-- rows carry a break_reason instead. Across a NUTS revision, growth is computed only where the region is
-- bridged into the target NUTS version (is_nuts_converted marks it); an endpoint left unbridged or an
-- incomplete merge, or a missing endpoint of a region the revision touched, gives break reason nuts_recode.
-- Alongside employment: CAGR and change of local units, wages and the average wage, LQ change, classic
-- stars gained and lost, and entry into or exit from the US strong-cluster set (profile us-cmp-strong).
-- One row per region x category x window.
with cells as (
    select * from marts.fct_cluster_region_year
),

windows as (
    select * from intermediate.int_trend_windows__resolved
),

spine as (
    select distinct region_code, category_code from cells
),

years as (
    select year, any_value(indicator_scheme) as indicator_scheme from cells group by year
),

breaks as (
    select
        windows.window_start,
        windows.window_end,
        cells.region_code,
        cells.category_code,
        bool_or(cells.has_break_flag) as has_break_flag,
    from windows
    join cells on cells.year > windows.window_start and cells.year <= windows.window_end
    group by all
),

-- The US Cluster Mapping strong-cluster judgement, when star_profiles.toml has that profile.
strong as (
    select region_code, category_code, year, is_star,
    from marts.fct_cluster_stars
    where star_profile = 'us-cmp-strong' and star = 'strong'
),

endpoints as (
    select
        spine.region_code,
        spine.category_code,
        windows.window_start,
        windows.window_end,
        windows.window_kind,
        first_year.employment as employment_start,
        last_year.employment as employment_end,
        first_year.local_units as local_units_start,
        last_year.local_units as local_units_end,
        first_year.wages_meur as wages_meur_start,
        last_year.wages_meur as wages_meur_end,
        first_year.avg_wage_eur as avg_wage_eur_start,
        last_year.avg_wage_eur as avg_wage_eur_end,
        first_year.lq as lq_start,
        last_year.lq as lq_end,
        (coalesce(last_year.size_star, 0) > coalesce(first_year.size_star, 0))::int
            + (coalesce(last_year.specialisation_star, 0) > coalesce(first_year.specialisation_star, 0))::int
            + (coalesce(last_year.focus_star, 0) > coalesce(first_year.focus_star, 0))::int as stars_gained,
        (coalesce(last_year.size_star, 0) < coalesce(first_year.size_star, 0))::int
            + (coalesce(last_year.specialisation_star, 0) < coalesce(first_year.specialisation_star, 0))::int
            + (coalesce(last_year.focus_star, 0) < coalesce(first_year.focus_star, 0))::int as stars_lost,
        strong_start.is_star as is_strong_start,
        strong_end.is_star as is_strong_end,
        coalesce(first_year.has_definition_flag, false) <> coalesce(last_year.has_definition_flag, false)
            as is_definition_change,
        start_year.indicator_scheme as scheme_start,
        end_year.indicator_scheme as scheme_end,
        first_year.n_missing_employment_cells + last_year.n_missing_employment_cells as n_missing_cells,
        -- A suppressed cell estimated at 0 (its parent's remainder was not positive) is unknown, not empty:
        -- such an endpoint counts as wholly estimated.
        greatest(
            coalesce(first_year.imputed_employment_share, 0),
            coalesce(last_year.imputed_employment_share, 0),
            case when first_year.n_imputed_employment_cells > 0 and first_year.imputed_employment = 0 then 1 end,
            case when last_year.n_imputed_employment_cells > 0 and last_year.imputed_employment = 0 then 1 end
        ) as max_imputed_share,
        first_year.nuts_conversion as nuts_conversion_start,
        last_year.nuts_conversion as nuts_conversion_end,
        spine.region_code in (select region_code from intermediate.int_nuts_regions__recoded)
            as is_recoded_region,
    from spine
    cross join windows
    left join cells as first_year
        on first_year.region_code = spine.region_code
        and first_year.category_code = spine.category_code
        and first_year.year = windows.window_start
    left join cells as last_year
        on last_year.region_code = spine.region_code
        and last_year.category_code = spine.category_code
        and last_year.year = windows.window_end
    left join years as start_year on start_year.year = windows.window_start
    left join years as end_year on end_year.year = windows.window_end
    left join strong as strong_start
        on strong_start.region_code = spine.region_code
        and strong_start.category_code = spine.category_code
        and strong_start.year = windows.window_start
    left join strong as strong_end
        on strong_end.region_code = spine.region_code
        and strong_end.category_code = spine.category_code
        and strong_end.year = windows.window_end
),

reasoned as (
    select
        endpoints.*,
        case
            when scheme_start is null or scheme_end is null then 'window_outside_data'
            when scheme_start <> scheme_end then 'sbs_regime_change_2020_2021'
            when nuts_conversion_start in ('unbridged', 'incomplete_merge')
                or nuts_conversion_end in ('unbridged', 'incomplete_merge')
                or (is_recoded_region and (employment_start is null or employment_end is null))
                then 'nuts_recode'
            when coalesce(breaks.has_break_flag, false) then 'break_in_series'
            when is_definition_change then 'definition_differs'
            when employment_start is null or employment_end is null then 'missing_endpoint'
            when n_missing_cells > 0 then 'suppressed_cells_at_endpoint'
            when max_imputed_share > getvariable('trend_max_imputed_share') then 'imputed_endpoint'
            when employment_start <= 0 or employment_end <= 0 then 'non_positive_endpoint'
        end as break_reason,
    from endpoints
    left join breaks using (region_code, category_code, window_start, window_end)
),

final as (
    select
        region_code,
        category_code,
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
        local_units_start,
        local_units_end,
        case when break_reason is null and local_units_start > 0 and local_units_end > 0
            then power(local_units_end / local_units_start, 1.0 / (window_end - window_start)) - 1
        end as local_units_cagr,
        case when break_reason is null or break_reason = 'non_positive_endpoint'
            then local_units_end - local_units_start
        end as local_units_change,
        case when break_reason is null and wages_meur_start > 0 and wages_meur_end > 0
            then power(wages_meur_end / wages_meur_start, 1.0 / (window_end - window_start)) - 1
        end as wages_cagr,
        avg_wage_eur_start,
        avg_wage_eur_end,
        case when break_reason is null and avg_wage_eur_start > 0 and avg_wage_eur_end > 0
            then power(avg_wage_eur_end / avg_wage_eur_start, 1.0 / (window_end - window_start)) - 1
        end as avg_wage_cagr,
        lq_start,
        lq_end,
        case when break_reason is null or break_reason = 'non_positive_endpoint'
            then lq_end - lq_start
        end as lq_change,
        case when break_reason is null or break_reason = 'non_positive_endpoint' then stars_gained end
            as stars_gained,
        case when break_reason is null or break_reason = 'non_positive_endpoint' then stars_lost end
            as stars_lost,
        case
            when break_reason is not null and break_reason <> 'non_positive_endpoint' then null
            when is_strong_start is null or is_strong_end is null then null
            when is_strong_end and not is_strong_start then 'entered'
            when is_strong_start and not is_strong_end then 'left'
            when is_strong_start then 'stayed'
            else 'never'
        end as strong_cluster_transition,
        break_reason,
        coalesce(nuts_conversion_start, 'unchanged') <> 'unchanged'
            or coalesce(nuts_conversion_end, 'unchanged') <> 'unchanged' as is_nuts_converted,
    from reasoned
)

select * from final
