-- Every star of every profile in config.star_rules (from star_profiles.toml) judged for each cluster cell:
-- a star is earned when all its conditions hold. Percentile thresholds interpolate linearly (like
-- quantile_cont) over the cells with employment > 0 of the same category and year, or of the same year;
-- only such cells earn stars, and none of a category mostly outside the SBS scope (no_star_reason). Regional metrics ("region.<indicator>") come from the ecosystem indicators.
-- One row per region x category x year x star profile x star.
with cells as (
    select * from intermediate.int_cluster_region_year__measured
),

rules as (
    select * from config.star_rules
),

cell_metrics as (
    select
        region_code,
        category_code,
        year,
        coalesce(employment > 0 and no_star_reason is null, false) as in_population,
        unnest(['employment', 'local_units', 'wages_meur', 'avg_wage_eur', 'productivity_eur', 'lq', 'focus_share', 'eu_category_share'])
            as metric,
        unnest([employment, local_units, wages_meur, avg_wage_eur, productivity_eur, lq, focus_share, eu_category_share])
            as metric_value,
    from cells
),

region_metrics as (
    select
        cells.region_code,
        cells.category_code,
        cells.year,
        coalesce(cells.employment > 0 and cells.no_star_reason is null, false) as in_population,
        'region.' || indicators.indicator_code as metric,
        indicators.value as metric_value,
    from cells
    join intermediate.int_ecosystem_indicators__computed as indicators
        on indicators.region_code = cells.region_code and indicators.year = cells.year
    where 'region.' || indicators.indicator_code in (select metric from rules)
),

conditions as (
    select
        rules.profile,
        rules.star,
        rules.condition_number,
        rules.comparison,
        rules.threshold_type,
        rules.threshold_value,
        metrics.region_code,
        metrics.category_code,
        metrics.year,
        metrics.in_population,
        metrics.metric_value,
        case when rules.threshold_type = 'percentile_within_category' then metrics.category_code else '*' end
            as population_category,
    from rules
    join (select * from cell_metrics union all by name select * from region_metrics) as metrics
        using (metric)
),

-- Even if a region has no value of a regional metric, its cells get a (failing) condition row.
spine as (
    select rules.profile, rules.star, rules.condition_number, cells.region_code, cells.category_code, cells.year,
    from rules
    cross join cells
),

-- Each population's values sorted once (an aggregate per population instead of a window over all of
-- them); the threshold interpolates between the values at positions floor and ceil of t * (n - 1).
populations as (
    select
        profile,
        star,
        condition_number,
        population_category,
        year,
        list_sort(list(metric_value)) as sorted_values,
        count(*) as population_size,
        any_value(threshold_value) as threshold_value,
    from conditions
    where threshold_type <> 'absolute' and in_population and metric_value is not null
    group by profile, star, condition_number, population_category, year
),

thresholds as (
    select
        profile,
        star,
        condition_number,
        population_category,
        year,
        sorted_values[floor(threshold_value * (population_size - 1))::bigint + 1] as lower_value,
        sorted_values[ceil(threshold_value * (population_size - 1))::bigint + 1] as upper_value,
        threshold_value * (population_size - 1) - floor(threshold_value * (population_size - 1))
            as fraction,
    from populations
),

judged as (
    select
        conditions.*,
        case conditions.threshold_type
            when 'absolute' then conditions.threshold_value
            else thresholds.lower_value + thresholds.fraction * (thresholds.upper_value - thresholds.lower_value)
        end as threshold,
    from conditions
    left join thresholds using (profile, star, condition_number, population_category, year)
),

met as (
    select
        *,
        coalesce(
            in_population and case comparison
                when '>=' then metric_value >= threshold
                when '>' then metric_value > threshold
                when '<=' then metric_value <= threshold
                when '<' then metric_value < threshold
            end,
            false
        ) as is_met,
    from judged
),

final as (
    select
        spine.region_code,
        spine.category_code,
        spine.year,
        spine.profile,
        spine.star,
        coalesce(bool_and(coalesce(met.is_met, false)), false) as is_star,
    from spine
    left join met using (profile, star, condition_number, region_code, category_code, year)
    group by spine.region_code, spine.category_code, spine.year, spine.profile, spine.star
)

select * from final
