-- Every star of every profile in config.star_rules (from star_profiles.toml) judged for each cluster cell:
-- a star is earned (is_star true) when all its conditions hold and the cell earned the star it requires
-- (requires_star: a star on a region-wide value goes only to cells with that cell-level star); it is
-- unknown (is_star null, unknown_reason says which input is missing) when a condition cannot be judged
-- because its input has no value for the cell's year, and not earned (false) otherwise. Percentile
-- thresholds interpolate linearly (like quantile_cont) over the cells with employment > 0 of the same
-- category and year, or of the same year; only such cells earn stars, and none of a category mostly outside
-- the SBS scope (no_star_reason). Regional metrics ("region.<indicator>") come from the ecosystem
-- indicators: the region's value of the year, else its latest value at most star_max_carry_years older
-- (is_carried), so a star does not vanish the year its input dataset ends.
-- One row per region x category x year x star profile x star.
with cells as (
    -- only cells with employment and no reason to be left out earn stars and make up the percentile populations
    select *, coalesce(employment > 0 and no_star_reason is null, false) as in_population,
    from intermediate.int_cluster_region_year__measured
),

rules as (
    select * from config.star_rules
),

cell_metrics as (
    select
        region_code,
        category_code,
        year,
        in_population,
        unnest(['employment', 'local_units', 'wages_meur', 'avg_wage_eur', 'productivity_eur', 'lq', 'focus_share', 'eu_category_share'])
            as metric,
        unnest([employment, local_units, wages_meur, avg_wage_eur, productivity_eur, lq, focus_share, eu_category_share])
            as metric_value,
    from cells
),

region_values as (
    select region_code, 'region.' || indicator_code as metric, year as value_year, value,
    from intermediate.int_ecosystem_indicators__harmonised
    where value is not null and 'region.' || indicator_code in (select metric from rules)
),

region_cells as (
    select cells.region_code, cells.category_code, cells.year, cells.in_population, metrics.metric,
    from cells
    cross join (select distinct metric from rules where starts_with(metric, 'region.')) as metrics
),

region_metrics as (
    select
        region_cells.region_code,
        region_cells.category_code,
        region_cells.year,
        region_cells.in_population,
        region_cells.metric,
        case when region_cells.year - region_values.value_year <= getvariable('star_max_carry_years')
            then region_values.value end as metric_value,
        region_values.value_year as metric_year,
    from region_cells
    asof left join region_values
        on region_values.region_code = region_cells.region_code
        and region_values.metric = region_cells.metric
        and region_values.value_year <= region_cells.year
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
        metrics.metric,
        metrics.metric_value,
        metrics.metric_year,
        rules.requires_star,
        case when rules.threshold_type = 'percentile_within_category' then metrics.category_code else '*' end
            as population_category,
    from rules
    join (select *, year as metric_year from cell_metrics union all by name select * from region_metrics) as metrics
        using (metric)
),

-- Every condition of every cell (a missing one is unknown).
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
        case
            when not in_population then false
            when metric_value is null or threshold is null then null
            else case comparison
                when '>=' then metric_value >= threshold
                when '>' then metric_value > threshold
                when '<=' then metric_value <= threshold
                when '<' then metric_value < threshold
            end
        end as is_met,
        metric || case when metric_year < year then ' (latest ' || metric_year || ')' else '' end as input_label,
    from judged
),

-- Three-valued: any condition failed -> false; all held -> true; otherwise unknown.
own as (
    select
        spine.region_code,
        spine.category_code,
        spine.year,
        spine.profile,
        spine.star,
        case
            when bool_or(met.is_met = false) then false
            when count(met.is_met) = count(*) then true
        end as is_own_star,
        any_value(met.requires_star) as requires_star,
        string_agg(distinct met.input_label, ', ' order by met.input_label) filter (where met.is_met is null)
            as missing_inputs,
        coalesce(bool_or(met.metric_year < spine.year and met.metric_value is not null), false) as is_carried,
    from spine
    left join met using (profile, star, condition_number, region_code, category_code, year)
    group by spine.region_code, spine.category_code, spine.year, spine.profile, spine.star
),

final as (
    select
        own.region_code,
        own.category_code,
        own.year,
        own.profile as star_profile,
        own.star,
        -- SQL's three-valued AND: not earned if either is false, unknown if either is unknown.
        case when own.requires_star is null then own.is_own_star else own.is_own_star and required.is_own_star end
            as is_star,
        case
            when own.requires_star is not null and own.is_own_star is not false and required.is_own_star is false
                then null
            when own.is_own_star is null and own.missing_inputs is not null
                then 'no value of ' || own.missing_inputs || ' for ' || own.year
            when own.is_own_star is null then 'no value of an input for ' || own.year
            when own.requires_star is not null and required.is_own_star is null
                then 'requires the ' || own.requires_star || ' star, which is unknown (' || coalesce(required.missing_inputs, 'an input') || ')'
        end as unknown_reason,
        own.is_carried,
    from own
    left join own as required
        on required.profile = own.profile
        and required.star = own.requires_star
        and required.region_code = own.region_code
        and required.category_code = own.category_code
        and required.year = own.year
)

select * from final
