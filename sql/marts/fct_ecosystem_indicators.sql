-- Regional ecosystem indicators, each step kept: the value (gaps filled by the documented rule, flagged),
-- the value capped at mean +/- scoreboard_outlier_sd standard deviations of the year's regions, transformed
-- as the catalogue says (sqrt or log for skewed indicators), a min-max score in [0, 1] over the scored
-- regions of the year (NUTS 2, or NUTS 1 in the countries of scoreboard.nuts1_countries) (direction
-- applied: 1 is always the most favourable) and an index of the score against EU = 100: the score of
-- Eurostat's own EU aggregate where the extracts carry one (scoreboard.eu_aggregates; its value capped,
-- transformed and scored on the regions' scale as a region's is), else the regions' average score;
-- index_reference says which.
-- One row per region x indicator x year.
with filled as (
    select region_code, indicator_code, year, value, source_year, is_carried, is_from_parent,
    from intermediate.int_ecosystem_indicators__filled
),

-- The cluster tables' NUTS-2 cells, under the unit the scoreboard scores them as (marts.dim_region:
-- the region itself, or its NUTS-1 region in the countries of scoreboard.nuts1_countries).
cluster_cells as (
    select
        coalesce(regions.scoreboard_region_code, cells.region_code) as region_code,
        cells.region_code as nuts2_code,
        cells.year,
        cells.category_type,
        cells.category_code,
        cells.employment,
        cells.star_count,
        cells.region_total_employment,
    from marts.fct_cluster_region_year as cells
    left join marts.dim_region as regions using (region_code)
),

unit_totals as (
    select region_code, year, sum(total_employment::decimal(38, 12))::double as total_employment,
    from (
        select region_code, nuts2_code, year, max(region_total_employment) as total_employment,
        from cluster_cells
        group by all
    )
    group by all
),

star_jobs as (
    select
        cluster_cells.region_code,
        'star_cluster_employment_share' as indicator_code,
        cluster_cells.year,
        100 * coalesce(sum(employment::decimal(38, 12)) filter (where star_count > 0)::double, 0)
            / nullif(any_value(unit_totals.total_employment), 0) as value,
    from cluster_cells
    join unit_totals using (region_code, year)
    where category_type = 'traded'
    group by cluster_cells.region_code, cluster_cells.year
),

-- Employment in three emerging industries (creative, digital, environmental: the scoreboard's creativity,
-- digitalisation and eco-innovation themes) as a share of the region's business-economy employment.
emerging_jobs as (
    select
        cluster_cells.region_code,
        case category_code
            when 'E04' then 'creative_industries_employment_share'
            when 'E05' then 'digital_industries_employment_share'
            when 'E06' then 'environmental_industries_employment_share'
        end as indicator_code,
        cluster_cells.year,
        100 * sum(employment::decimal(38, 12))::double
            / nullif(any_value(unit_totals.total_employment), 0) as value,
    from cluster_cells
    join unit_totals using (region_code, year)
    where category_type = 'emerging' and category_code in ('E04', 'E05', 'E06')
    group by all
),

cluster_values as (
    select *, year as source_year, false as is_carried, false as is_from_parent, from star_jobs
    union all by name
    select *, year as source_year, false as is_carried, false as is_from_parent, from emerging_jobs
),

catalogue as (
    select * from ref.ecosystem_indicators
),

values_ as (
    select * from filled
    union all by name
    select * from cluster_values
),

-- The EU aggregates' values, carried through capping, transformation and scoring beside the regions but
-- left out of the regions' moments and scale.
eu_values as (
    select
        eu_aggregate_code as region_code,
        indicator_code,
        year,
        eu_value as value,
        year as source_year,
        false as is_carried,
        false as is_from_parent,
        true as is_eu_aggregate,
    from intermediate.int_ecosystem_indicators__eu_reference
),

-- Means and standard deviations as exact DECIMAL sums, so that two runs give identical results.
means as (
    select
        indicator_code,
        year,
        (sum(value::decimal(38, 12)) / nullif(count(value), 0))::double as mean_value,
        count(value) as n_values,
    from values_
    group by indicator_code, year
),

moments as (
    select
        means.indicator_code,
        means.year,
        any_value(means.mean_value) as mean_value,
        sqrt(
            sum(((values_.value - means.mean_value) ^ 2)::decimal(38, 12))::double
            / nullif(any_value(means.n_values), 0)
        ) as sd_value,
    from means
    join values_ using (indicator_code, year)
    group by means.indicator_code, means.year
),

treated as (
    select
        values_.*,
        catalogue.dimension,
        catalogue.direction,
        catalogue.transformation,
        case
            when values_.value is null or coalesce(moments.sd_value, 0) = 0 then values_.value
            else least(
                greatest(
                    values_.value,
                    moments.mean_value - getvariable('scoreboard_outlier_sd') * moments.sd_value
                ),
                moments.mean_value + getvariable('scoreboard_outlier_sd') * moments.sd_value
            )
        end as capped_value,
    from (select *, false as is_eu_aggregate, from values_ union all by name select * from eu_values) as values_
    join catalogue using (indicator_code)
    left join moments using (indicator_code, year)
),

transformed as (
    select
        *,
        case transformation
            when 'sqrt' then sqrt(greatest(capped_value, 0))
            when 'log' then ln(1 + greatest(capped_value, 0))
            else capped_value
        end as transformed_value,
    from treated
),

scaled as (
    select
        *,
        min(transformed_value) filter (where not is_eu_aggregate) over by_year as min_value,
        max(transformed_value) filter (where not is_eu_aggregate) over by_year as max_value,
    from transformed
    window by_year as (partition by indicator_code, year)
),

scored as (
    select
        *,
        case
            when transformed_value is null or max_value = min_value then null
            when direction >= 0 then (transformed_value - min_value) / (max_value - min_value)
            else (max_value - transformed_value) / (max_value - min_value)
        end as score,
    from scaled
),

-- Per indicator and year, the score that is 100: the EU aggregate's (unless it scores 0 or below: it then
-- sits at or beyond the regions' least favourable end, no base for an index), else the regions' average.
reference_scores as (
    select
        indicator_code,
        year,
        any_value(region_code) filter (where is_eu_aggregate and score > 0) as eu_aggregate_code,
        any_value(value) filter (where is_eu_aggregate and score > 0) as eu_value,
        any_value(score) filter (where is_eu_aggregate and score > 0) as eu_score,
        (
            sum(score::decimal(38, 12)) filter (where not is_eu_aggregate)
            / count(score) filter (where not is_eu_aggregate)
        )::double as regions_average_score,
    from scored
    group by indicator_code, year
),

final as (
    select
        scored.region_code,
        scored.year,
        scored.indicator_code,
        scored.dimension,
        scored.value,
        scored.source_year,
        scored.is_carried,
        scored.is_from_parent,
        scored.capped_value,
        scored.capped_value is distinct from scored.value as is_capped,
        scored.transformed_value,
        scored.score,
        100 * scored.score / nullif(
            coalesce(reference_scores.eu_score, reference_scores.regions_average_score), 0
        ) as score_index,
        coalesce(reference_scores.eu_score, reference_scores.regions_average_score) as reference_score,
        coalesce(reference_scores.eu_aggregate_code, 'regions_average') as index_reference,
        reference_scores.eu_value,
    from scored
    join reference_scores using (indicator_code, year)
    where not scored.is_eu_aggregate
)

select * from final
