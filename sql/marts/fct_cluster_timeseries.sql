-- The cluster mapping as a long, tidy time series that reports can plot directly: one measure per row,
-- with the flags that qualify it (a Eurostat break, estimated or provisional source cells, the share of
-- the value estimated from suppressed cells), the SBS regime, so a chart can mark the 2020/2021 break, and
-- the NUTS conversion of the row (is_nuts_converted: not as the extract reported that region).
-- One row per region x category x year x measure.
with cells as (
    select * from marts.fct_cluster_region_year
),

long as (
    select
        region_code,
        category_code,
        category_type,
        year,
        indicator_scheme,
        unnest(['employment', 'local_units', 'wages_meur', 'avg_wage_eur', 'lq', 'focus_share',
                'eu_category_share', 'star_count']) as measure,
        unnest([employment, local_units, wages_meur, avg_wage_eur, lq, focus_share,
                eu_category_share, star_count::double]) as value,
        has_break_flag,
        has_estimated_flag,
        has_provisional_flag,
        imputed_employment_share,
        nuts_conversion,
    from cells
),

final as (
    select
        region_code,
        category_code,
        category_type,
        year,
        measure,
        value,
        indicator_scheme,
        concat_ws(
            '',
            case when has_break_flag then 'b' end,
            case when has_estimated_flag then 'e' end,
            case when has_provisional_flag then 'p' end
        ) as flags,
        imputed_employment_share,
        nuts_conversion,
        nuts_conversion <> 'unchanged' as is_nuts_converted,
    from long
)

select * from final
