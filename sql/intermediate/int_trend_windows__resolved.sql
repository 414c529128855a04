-- Trend windows: the explicit ones of the settings (trend_windows) and the relative ones resolved against
-- the years the cluster data cover: the last N years (trend_last_years), the full span, and every
-- year-on-year pair. A window named by several rules is listed once, with all its kinds.
-- One row per window.
with explicit as (
    select window_start, window_end, 'explicit' as window_kind, from config.trend_windows
),

years as (
    select distinct year from intermediate.int_cluster_region_year__mapped
),

bounds as (
    select min(year) as first_year, max(year) as last_year, from years
),

spans as (
    select * from config.trend_spans
),

last_years as (
    select bounds.last_year - spans.years as window_start, bounds.last_year as window_end,
        'last_' || spans.years || '_years' as window_kind,
    from spans
    cross join bounds
    where spans.kind = 'last_years' and bounds.last_year - spans.years >= bounds.first_year
),

full_span as (
    select bounds.first_year as window_start, bounds.last_year as window_end, 'full_span' as window_kind,
    from bounds
    where bounds.last_year > bounds.first_year
        and exists (select 1 from spans where spans.kind = 'full_span')
),

year_on_year as (
    select years.year - 1 as window_start, years.year as window_end, 'year_on_year' as window_kind,
    from years
    where years.year - 1 in (select year from years)
        and exists (select 1 from spans where spans.kind = 'year_on_year')
),

unioned as (
    select * from explicit
    union all
    select * from last_years
    union all
    select * from full_span
    union all
    select * from year_on_year
),

final as (
    select
        window_start::smallint as window_start,
        window_end::smallint as window_end,
        string_agg(distinct window_kind, ',' order by window_kind) as window_kind,
    from unioned
    group by window_start, window_end
)

select * from final
