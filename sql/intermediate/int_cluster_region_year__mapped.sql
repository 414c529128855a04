-- SBS cells allocated to traded cluster categories and emerging industries through the NACE mappings (a
-- code may count in one traded category and in several emerging industries): the finest cells
-- present in each region (leaves of int_sbs__imputed, suppressed ones estimated) times the allocation
-- weight of their NACE code (1 for a class; a coarser code's share of classes in the category).
-- One row per region x category x year.
-- Partitioned: country (a country's rows come from its own regions' rows only)
with cells as (
    select * from intermediate.int_sbs__imputed
    where is_leaf
),

mapping as (
    select nace_code, category_code, allocation_weight from ref.nace_cluster_mapping
    union all
    select nace_code, category_code, allocation_weight from ref.nace_emerging_mapping
),

allocated as (
    select
        cells.region_code,
        cells.country_code,
        mapping.category_code,
        cells.year,
        cells.measure,
        cells.value * mapping.allocation_weight as allocated_value,
        cells.is_imputed,
        cells.value is null as is_missing,
        cells.is_confidential,
        cells.is_break,
        cells.is_definition_differs,
        cells.is_estimated,
        cells.is_provisional,
        cells.dataset,
        cells.indicator_scheme,
    from cells
    join mapping on mapping.nace_code = cells.nace_code
),

final as (
    select
        region_code,
        any_value(country_code) as country_code,
        category_code,
        year,
        any_value(dataset) as dataset,
        any_value(indicator_scheme) as indicator_scheme,
        sum(allocated_value::decimal(38, 12)) filter (where measure = 'employment')::double as employment,
        sum(allocated_value::decimal(38, 12)) filter (where measure = 'local_units')::double as local_units,
        sum(allocated_value::decimal(38, 12)) filter (where measure = 'wages_meur')::double as wages_meur,
        sum(allocated_value::decimal(38, 12)) filter (where measure = 'value_added_meur')::double
            as value_added_meur,
        coalesce(
            sum(allocated_value::decimal(38, 12)) filter (where measure = 'employment' and is_imputed), 0
        )::double as imputed_employment,
        count(*) filter (where measure = 'employment' and is_missing) as n_missing_employment_cells,
        count(*) filter (where measure = 'employment' and is_confidential) as n_confidential_employment_cells,
        count(*) filter (where measure = 'employment' and is_imputed) as n_imputed_employment_cells,
        bool_or(is_break) as has_break_flag,
        bool_or(is_definition_differs) as has_definition_flag,
        bool_or(is_estimated) as has_estimated_flag,
        bool_or(is_provisional) as has_provisional_flag,
    from allocated
    group by region_code, category_code, year
)

select * from final
