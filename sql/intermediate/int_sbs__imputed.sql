-- SBS cells of the NACE Rev. 2 tree (sections to classes) in NUTS-2 regions, suppressed or missing cells
-- filled with their estimates (int_sbs_estimates__computed: the classic European Cluster Observatory
-- algorithm, and the NUTS tree for the parts of the business-economy total); each estimate is flagged.
-- `is_leaf`: no child code of this cell is in the data (leaves add up without double counting).
-- One row per region x NACE code x year x measure.
-- Materialized: view (read by the next model and fct_data_quality: writing 9 million rows costs more than computing them twice)
-- Partitioned: country (a country's rows come from its own regions' rows only)
with cells as not materialized (
    -- read twice (the cells, their parents): not materialized, each reader scans only the columns it needs
    -- (materialising the 9 million rows cost more: int_cluster_region_year__mapped 6.6 s -> 4.6 s CPU)
    select
        unioned.region_code,
        unioned.country_code,
        unioned.nace_code,
        nace.nace_level,
        nace.parent_code,
        unioned.year,
        unioned.measure,
        unioned.value,
        unioned.is_confidential,
        unioned.is_break,
        unioned.is_definition_differs,
        unioned.is_estimated,
        unioned.is_provisional,
        unioned.dataset,
        unioned.indicator_scheme,
    from intermediate.int_sbs__unioned as unioned
    join ref.nace_rev2 as nace using (nace_code)
    where not unioned.is_business_economy_total
),

-- The codes that are a parent of a code in the region's data.
parents as (
    select distinct region_code, year, measure, parent_code as nace_code,
    from cells
    where parent_code is not null
),

final as (
    select
        cells.region_code,
        cells.country_code,
        cells.nace_code,
        cells.nace_level,
        cells.parent_code,
        cells.year,
        cells.measure,
        coalesce(cells.value, estimates.estimate) as value,
        cells.value as reported_value,
        cells.value is null and estimates.estimate is not null as is_imputed,
        parents.nace_code is null as is_leaf,
        cells.is_confidential,
        cells.is_break,
        cells.is_definition_differs,
        cells.is_estimated,
        cells.is_provisional,
        cells.dataset,
        cells.indicator_scheme,
    from cells
    left join intermediate.int_sbs_estimates__computed as estimates
        using (region_code, year, measure, nace_code)
    left join parents using (region_code, year, measure, nace_code)
)

select * from final
