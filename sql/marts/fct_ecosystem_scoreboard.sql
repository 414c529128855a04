-- Regional ecosystem scoreboard: per dimension the composite (unweighted mean of the region's indicator
-- scores), and an overall composite (mean of the dimension composites, weighted by
-- scoreboard.dimension_weights), with the indicators it used and its coverage (used / catalogue). A
-- composite covering at least scoreboard.min_coverage of its catalogue indicators gets an index against
-- EU = 100, a rank among those regions (1 = best) and, from the index, a performance
-- group: leader above scoreboard.leader_index (125), strong above strong_index (100), moderate above
-- moderate_index (70), emerging below; one covering less is published without them (withheld_reason).
-- The change since the previous edition (year) is taken over the indicators both years share
-- (fct_scoreboard_changes). EU = 100 is the composite of the indicators' own 100s (fct_ecosystem_indicators:
-- the EU aggregate's score, or the regions' average score where the extracts carry no aggregate) over the
-- year's indicators of the dimension, where at least one has an EU aggregate; where none has, the average
-- of the adequate regions' composites. index_reference names what it rests on. Sums are exact DECIMALs.
-- One row per region x dimension (or 'overall') x year.
with scores as (
    select * from marts.fct_ecosystem_indicators
    where score is not null
),

weights as (
    select * from config.scoreboard_weights
),

catalogue_sizes as (
    select * from intermediate.int_scoreboard_dimensions__sized
),

changes as (
    select * from marts.fct_scoreboard_changes
),

indicator_references as (
    select distinct year, dimension, indicator_code, reference_score, index_reference,
    from scores
),

dimension_references as (
    select
        year,
        dimension,
        (sum(reference_score::decimal(38, 12)) / count(*))::double as reference_composite,
        string_agg(distinct index_reference, ' + ' order by index_reference) as index_reference,
    from indicator_references
    group by year, dimension
),

overall_references as (
    select
        references_.year,
        'overall' as dimension,
        (
            sum((references_.reference_composite * weights.weight)::decimal(38, 12))
            / nullif(sum(weights.weight::decimal(38, 12)), 0)
        )::double as reference_composite,
        any_value(labels.index_reference) as index_reference,
    from dimension_references as references_
    join weights using (dimension)
    join (
        select year, string_agg(distinct index_reference, ' + ' order by index_reference) as index_reference,
        from indicator_references
        join weights using (dimension)
        where weights.weight > 0
        group by year
    ) as labels using (year)
    where weights.weight > 0
    group by references_.year
),

-- EU = 100 per dimension and year where an indicator behind it has an EU aggregate.
eu_references as (
    select * from dimension_references
    union all by name
    select * from overall_references
),

dimensions as (
    select
        region_code,
        year,
        dimension,
        (sum(score::decimal(38, 12)) / count(*))::double as composite,
        count(*) as n_indicators,
        count(*) filter (where is_carried or is_from_parent) as n_filled_indicators,
        list(indicator_code order by indicator_code) as indicator_codes,
    from scores
    group by region_code, year, dimension
),

overall as (
    select
        dimensions.region_code,
        dimensions.year,
        'overall' as dimension,
        (
            sum((dimensions.composite * weights.weight)::decimal(38, 12))
            / nullif(sum(weights.weight::decimal(38, 12)), 0)
        )::double as composite,
        sum(dimensions.n_indicators)::bigint as n_indicators,
        sum(dimensions.n_filled_indicators)::bigint as n_filled_indicators,
        list_sort(flatten(list(dimensions.indicator_codes))) as indicator_codes,
    from dimensions
    join weights using (dimension)
    where weights.weight > 0
    group by dimensions.region_code, dimensions.year
),

composites as (
    select
        composites.*,
        catalogue_sizes.n_catalogue_indicators,
        composites.n_indicators / catalogue_sizes.n_catalogue_indicators as coverage,
        coalesce(composites.n_indicators / catalogue_sizes.n_catalogue_indicators, 0)
            >= getvariable('scoreboard_min_coverage') as is_adequate,
    from (select * from dimensions union all by name select * from overall) as composites
    left join catalogue_sizes using (dimension)
),

-- Ranks, and without an EU aggregate the year's average, over the composites with adequate coverage only.
indexed as (
    select
        composites.*,
        case when is_adequate then 100 * composite / nullif(
            case
                when eu_references.index_reference <> 'regions_average'
                    then eu_references.reference_composite
                else (
                    sum(composite::decimal(38, 12)) filter (where is_adequate) over by_year
                    / count(composite) filter (where is_adequate) over by_year
                )::double
            end,
            0
        ) end as composite_index,
        coalesce(eu_references.index_reference, 'regions_average') as index_reference,
        case when is_adequate
            then rank() over (partition by dimension, year, is_adequate order by composite desc)
        end as rank,
        lag(year) over (partition by region_code, dimension order by year) as previous_year,
    from composites
    left join eu_references using (dimension, year)
    window by_year as (partition by dimension, year)
),

final as (
    select
        indexed.region_code,
        indexed.year,
        indexed.dimension,
        indexed.composite,
        indexed.composite_index,
        indexed.index_reference,
        case
            when indexed.composite_index > getvariable('scoreboard_leader_index') then 'leader'
            when indexed.composite_index > getvariable('scoreboard_strong_index') then 'strong'
            when indexed.composite_index > getvariable('scoreboard_moderate_index') then 'moderate'
            when indexed.composite_index is not null then 'emerging'
        end as performance_group,
        indexed.rank,
        case when not indexed.is_adequate then 'too_few_indicators' end as withheld_reason,
        indexed.previous_year::smallint as previous_year,
        changes.composite_change as change_since_previous,
        changes.n_common_indicators as change_common_indicators,
        changes.break_reason as change_break_reason,
        indexed.n_indicators,
        indexed.n_filled_indicators,
        indexed.n_catalogue_indicators,
        indexed.coverage,
        indexed.indicator_codes,
    from indexed
    left join changes
        on changes.region_code = indexed.region_code
        and changes.dimension = indexed.dimension
        and changes.window_start = indexed.previous_year
        and changes.window_end = indexed.year
)

select * from final
