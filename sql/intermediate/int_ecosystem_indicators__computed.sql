-- Raw values of the ecosystem indicators per NUTS-2 region, and per NUTS-1 region for the regions whose
-- own value is missing, computed from their source tables.
-- One row per region x indicator x year.
with gdp as (
    select geo_code as region_code, year, 'gdp_pps_per_head' as indicator_code, value
    from staging.stg_nama_10r_2gdp
    where nuts_level in (1, 2) and unit = 'PPS_EU27_2020_HAB'
),

rd as (
    select
        geo_code as region_code,
        year,
        case sector_of_performance when 'TOTAL' then 'gerd_pc_gdp' else 'berd_pc_gdp' end as indicator_code,
        value,
    from staging.stg_rd_e_gerdreg
    where nuts_level in (1, 2) and unit = 'PC_GDP' and sector_of_performance in ('TOTAL', 'BES')
),

demography as (
    select
        geo_code as region_code,
        year,
        100 * max(value) filter (where indicator_code = 'V11920')
            / nullif(max(value) filter (where indicator_code = 'V11910'), 0) as enterprise_birth_rate,
        100 * max(value) filter (where indicator_code = 'V97460')
            / nullif(max(value) filter (where indicator_code = 'V11910'), 0) as high_growth_enterprise_share,
    from staging.stg_bd_hgnace2_r3
    where nuts_level in (1, 2) and nace_code = 'B-S_X_K642'
    group by geo_code, year
),

labour as (
    select
        geo_code as region_code,
        year,
        100 * sum(employment_ths::decimal(38, 6)) filter (where nace_code in ('J', 'K', 'M'))::double
            / nullif(max(employment_ths) filter (where nace_code = 'TOTAL'), 0) as knowledge_services_employment_share,
    from staging.stg_lfst_r_lfe2en2
    where nuts_level in (1, 2)
    group by geo_code, year
),

final as (
    select * from gdp
    union all
    select * from rd
    union all
    select region_code, year, 'enterprise_birth_rate', enterprise_birth_rate from demography
    union all
    select region_code, year, 'high_growth_enterprise_share', high_growth_enterprise_share from demography
    union all
    select region_code, year, 'knowledge_services_employment_share', knowledge_services_employment_share from labour
)

select *, (length(region_code) - 2)::tinyint as nuts_level, from final
where region_code not like '%Z'
