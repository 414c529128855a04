-- Changes of the regional ecosystem scoreboard between two editions (years), over the indicators both
-- years share: an indicator that enters or leaves the set (a dataset that ends, a new one) never moves a
-- region. Per pair of years, the shared indicators are those scored in both (for any region); each
-- region's composite of each year is then the mean of its scores on the shared indicators it has in both
-- years (per dimension; overall: the dimensions weighted by scoreboard.dimension_weights), indexed against
-- EU = 100 as in fct_ecosystem_scoreboard but over the shared indicators: the composite of their own 100s
-- (the EU aggregate's score, else the regions' average score) where one of them has an EU aggregate that
-- year, else the regions' average of the same composites (index_reference_start/_end). A change resting on
-- fewer than scoreboard.min_coverage of the catalogue's indicators is not computed (break_reason). Sums are exact.
-- One row per region x dimension (or 'overall') x window_start x window_end (window_start < window_end).
with scores as (
    select region_code, year, indicator_code, dimension, score
    from marts.fct_ecosystem_indicators
    where score is not null
),

weights as (
    select * from config.scoreboard_weights
),

catalogue_sizes as (
    select * from intermediate.int_scoreboard_dimensions__sized
),

scored_indicators as (
    select distinct year, indicator_code from scores
),

indicator_references as (
    select distinct year, indicator_code, dimension, reference_score, index_reference,
    from marts.fct_ecosystem_indicators
    where score is not null
),

shared as (
    select earlier.year as window_start, later.year as window_end, earlier.indicator_code
    from scored_indicators as earlier
    join scored_indicators as later
        on later.indicator_code = earlier.indicator_code and later.year > earlier.year
),

paired as (
    select
        shared.window_start,
        shared.window_end,
        score_from.region_code,
        score_from.dimension,
        score_from.score as score_from,
        score_to.score as score_to,
    from shared
    join scores as score_from
        on score_from.year = shared.window_start and score_from.indicator_code = shared.indicator_code
    join scores as score_to
        on score_to.year = shared.window_end
        and score_to.indicator_code = shared.indicator_code
        and score_to.region_code = score_from.region_code
),

dimensions as (
    select
        region_code,
        dimension,
        window_start,
        window_end,
        (sum(score_from::decimal(38, 12)) / count(*))::double as composite_start,
        (sum(score_to::decimal(38, 12)) / count(*))::double as composite_end,
        count(*) as n_common_indicators,
    from paired
    group by region_code, dimension, window_start, window_end
),

overall as (
    select
        dimensions.region_code,
        'overall' as dimension,
        dimensions.window_start,
        dimensions.window_end,
        (
            sum((dimensions.composite_start * weights.weight)::decimal(38, 12))
            / nullif(sum(weights.weight::decimal(38, 12)), 0)
        )::double as composite_start,
        (
            sum((dimensions.composite_end * weights.weight)::decimal(38, 12))
            / nullif(sum(weights.weight::decimal(38, 12)), 0)
        )::double as composite_end,
        sum(dimensions.n_common_indicators)::bigint as n_common_indicators,
    from dimensions
    join weights using (dimension)
    where weights.weight > 0
    group by dimensions.region_code, dimensions.window_start, dimensions.window_end
),

-- Each year's EU = 100 over a pair's shared indicators, per dimension and overall (weighted).
shared_references as (
    select shared.window_start, shared.window_end, ends.end_year, refs.dimension, refs.reference_score,
        refs.index_reference,
    from shared
    cross join (select unnest(['from', 'to']) as end_year) as ends
    join indicator_references as refs
        on refs.indicator_code = shared.indicator_code
        and refs.year = if(ends.end_year = 'from', shared.window_start, shared.window_end)
),

dimension_references as (
    select
        window_start,
        window_end,
        end_year,
        dimension,
        (sum(reference_score::decimal(38, 12)) / count(*))::double as reference_composite,
        string_agg(distinct index_reference, ' + ' order by index_reference) as index_reference,
    from shared_references
    group by all
),

overall_labels as (
    select
        window_start,
        window_end,
        end_year,
        string_agg(distinct index_reference, ' + ' order by index_reference) as index_reference,
    from shared_references
    join weights using (dimension)
    where weights.weight > 0
    group by all
),

pair_references as (
    select * from dimension_references
    union all by name
    select
        references_.window_start,
        references_.window_end,
        references_.end_year,
        'overall' as dimension,
        (
            sum((references_.reference_composite * weights.weight)::decimal(38, 12))
            / nullif(sum(weights.weight::decimal(38, 12)), 0)
        )::double as reference_composite,
        any_value(overall_labels.index_reference) as index_reference,
    from dimension_references as references_
    join weights using (dimension)
    join overall_labels using (window_start, window_end, end_year)
    where weights.weight > 0
    group by references_.window_start, references_.window_end, references_.end_year
),

composites as (
    select
        composites.*,
        catalogue_sizes.n_catalogue_indicators,
        composites.n_common_indicators / catalogue_sizes.n_catalogue_indicators as common_coverage,
    from (select * from dimensions union all select * from overall) as composites
    left join catalogue_sizes using (dimension)
),

indexed as (
    select
        composites.*,
        100 * composite_start / nullif(
            case
                when ref_from.index_reference <> 'regions_average' then ref_from.reference_composite
                else (sum(composite_start::decimal(38, 12)) over pair / count(composite_start) over pair)::double
            end,
            0
        ) as index_start,
        100 * composite_end / nullif(
            case
                when ref_to.index_reference <> 'regions_average' then ref_to.reference_composite
                else (sum(composite_end::decimal(38, 12)) over pair / count(composite_end) over pair)::double
            end,
            0
        ) as index_end,
        coalesce(ref_from.index_reference, 'regions_average') as index_reference_start,
        coalesce(ref_to.index_reference, 'regions_average') as index_reference_end,
    from composites
    left join pair_references as ref_from
        on ref_from.end_year = 'from'
        and ref_from.dimension = composites.dimension
        and ref_from.window_start = composites.window_start
        and ref_from.window_end = composites.window_end
    left join pair_references as ref_to
        on ref_to.end_year = 'to'
        and ref_to.dimension = composites.dimension
        and ref_to.window_start = composites.window_start
        and ref_to.window_end = composites.window_end
    window pair as (partition by composites.dimension, composites.window_start, composites.window_end)
),

final as (
    select
        region_code,
        dimension,
        window_start::smallint as window_start,
        window_end::smallint as window_end,
        n_common_indicators,
        n_catalogue_indicators,
        common_coverage,
        composite_start,
        composite_end,
        index_start,
        index_end,
        index_reference_start,
        index_reference_end,
        case when break_reason is null then composite_end - composite_start end as composite_change,
        case when break_reason is null then index_end - index_start end as index_change,
        break_reason,
    from (
        select
            *,
            case
                when coalesce(common_coverage, 0) < getvariable('scoreboard_min_coverage')
                    then 'too_few_common_indicators'
            end as break_reason,
        from indexed
    )
)

select * from final
