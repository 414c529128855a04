-- Regional ecosystem indicators: raw value and a min-max score in [0, 1] over the NUTS-2 regions of the same year
-- (direction applied, so 1 is always the most favourable).
-- One row per region x indicator x year.
with computed as (
    select * from intermediate.int_ecosystem_indicators__computed
),

star_jobs as (
    select
        region_code,
        year,
        'star_cluster_employment_share' as indicator_code,
        100 * coalesce(sum(employment::decimal(38, 6)) filter (where star_count > 0)::double, 0)
            / nullif(max(region_total_employment), 0) as value,
    from marts.fct_cluster_region_year
    where category_type = 'traded'
    group by region_code, year
),

catalogue as (
    select * from ref.ecosystem_indicators
),

values_ as (
    select * from computed
    union all by name
    select * from star_jobs
),

scaled as (
    select
        values_.region_code,
        values_.year,
        values_.indicator_code,
        catalogue.dimension,
        catalogue.direction,
        values_.value,
        min(values_.value) over (partition by values_.indicator_code, values_.year) as min_value,
        max(values_.value) over (partition by values_.indicator_code, values_.year) as max_value,
    from values_
    join catalogue using (indicator_code)
),

final as (
    select
        region_code,
        year,
        indicator_code,
        dimension,
        value,
        case
            when value is null or max_value = min_value then null
            when direction >= 0 then (value - min_value) / (max_value - min_value)
            else (max_value - value) / (max_value - min_value)
        end as score,
    from scaled
)

select * from final
