-- Raw values of the ecosystem indicators per NUTS-2 region, and per NUTS-1 region for the regions whose
-- own value is missing, computed from their source tables; and, computed the same way, per EU aggregate of
-- setting scoreboard.eu_aggregates the extracts carry (staged with no NUTS level: is_eu_aggregate), the
-- scoreboard's EU = 100 (int_ecosystem_indicators__eu_reference). The SBS totals have no aggregate.
-- One row per region (or EU aggregate) x indicator x year.
-- (A staged row with no NUTS level is an EU aggregate.)
with gdp as (
    select geo_code as region_code, year, 'gdp_pps_per_head' as indicator_code, value
    from staging.stg_nama_10r_2gdp
    where (nuts_level in (1, 2) or nuts_level is null) and unit = 'PPS_EU27_2020_HAB'
),

rd as (
    select
        geo_code as region_code,
        year,
        case sector_of_performance
            when 'TOTAL' then 'gerd_pc_gdp'
            when 'BES' then 'berd_pc_gdp'
            when 'GOV' then 'govrd_pc_gdp'
            when 'HES' then 'herd_pc_gdp'
        end as indicator_code,
        value,
    from staging.stg_rd_e_gerdreg
    where (nuts_level in (1, 2) or nuts_level is null)
        and unit = 'PC_GDP' and sector_of_performance in ('TOTAL', 'BES', 'GOV', 'HES')
),

demography as (
    select
        geo_code as region_code,
        year,
        100 * max(value) filter (where indicator_code = 'V11920')
            / nullif(max(value) filter (where indicator_code = 'V11910'), 0) as enterprise_birth_rate,
        100 * max(value) filter (where indicator_code = 'V97460')
            / nullif(max(value) filter (where indicator_code = 'V11910'), 0) as high_growth_enterprise_share,
        100 * max(value) filter (where indicator_code = 'V11930')
            / nullif(max(value) filter (where indicator_code = 'V11910'), 0) as enterprise_death_rate,
    from staging.stg_bd_hgnace2_r3
    where (nuts_level in (1, 2) or nuts_level is null) and nace_code = 'B-S_X_K642'
    group by geo_code, year
),

labour as (
    select
        geo_code as region_code,
        year,
        100 * sum(employment_ths::decimal(38, 6)) filter (where nace_code in ('J', 'K', 'M'))::double
            / nullif(max(employment_ths) filter (where nace_code = 'TOTAL'), 0) as knowledge_services_employment_share,
        100 * max(employment_ths) filter (where nace_code = 'J')
            / nullif(max(employment_ths) filter (where nace_code = 'TOTAL'), 0) as ict_employment_share,
        100 * max(employment_ths) filter (where nace_code = 'K')
            / nullif(max(employment_ths) filter (where nace_code = 'TOTAL'), 0) as financial_services_employment_share,
    from staging.stg_lfst_r_lfe2en2
    where (nuts_level in (1, 2) or nuts_level is null)
    group by geo_code, year
),

gdp_levels as (
    select
        geo_code as region_code,
        year,
        max(value) filter (where unit = 'MIO_EUR') as gdp_meur,
        1e6 * max(value) filter (where unit = 'MIO_EUR')
            / nullif(max(value) filter (where unit = 'EUR_HAB'), 0) as population,
    from staging.stg_nama_10r_2gdp
    where (nuts_level in (1, 2) or nuts_level is null)
    group by geo_code, year
),

gdp_growth as (
    select
        this_year.region_code,
        this_year.year,
        100 * (this_year.gdp_meur / nullif(last_year.gdp_meur, 0) - 1) as gdp_growth_pc,
    from gdp_levels as this_year
    join gdp_levels as last_year
        on last_year.region_code = this_year.region_code and last_year.year = this_year.year - 1
),

-- Business-economy totals of the SBS (NUTS-2 only): average wage, and local units per 1,000 inhabitants.
-- In the countries scored at NUTS 1 (scoreboard.nuts1_countries), also the NUTS-1 region's totals: the sums
-- of its NUTS-2 regions, where every one of them has a total that year.
nuts1_children as (
    select parent_code as region_code, count(*) as n_children,
    from ref.nuts_regions
    where nuts_version = getvariable('nuts_target_version') and nuts_level = 2
    group by parent_code
),

nuts1_totals as (
    select
        left(region_code, 3) as region_code,
        year,
        sum(total_wages_meur::decimal(38, 12))::double as total_wages_meur,
        sum(total_employment::decimal(38, 12))::double as total_employment,
        sum(total_local_units::decimal(38, 12))::double as total_local_units,
        count(total_employment) as n_reporting,
    from intermediate.int_region_year__totals
    where list_contains(getvariable('scoreboard_nuts1_countries'), left(region_code, 2))
    group by left(region_code, 3), year
),

business_totals as (
    select region_code, year, total_wages_meur, total_employment, total_local_units,
    from intermediate.int_region_year__totals
    union all
    select region_code, year, total_wages_meur, total_employment, total_local_units,
    from nuts1_totals
    join nuts1_children using (region_code)
    where nuts1_totals.n_reporting = nuts1_children.n_children
),

business as (
    select
        totals.region_code,
        totals.year,
        1e6 * totals.total_wages_meur / nullif(totals.total_employment, 0) as average_wage_eur,
        1000 * totals.total_local_units / nullif(gdp_levels.population, 0) as local_unit_density,
    from business_totals as totals
    left join gdp_levels using (region_code, year)
),

investment as (
    select
        gfcf.geo_code as region_code,
        gfcf.year,
        100 * gfcf.gfcf_meur / nullif(gdp_levels.gdp_meur, 0) as gfcf_pc_gdp,
    from staging.stg_nama_10r_2gfcf as gfcf
    join gdp_levels on gdp_levels.region_code = gfcf.geo_code and gdp_levels.year = gfcf.year
    where gfcf.nuts_level in (1, 2) or gfcf.nuts_level is null
),

governance as (
    select geo_code as region_code, year, individuals_pc as egovernment_users_pc,
    from staging.stg_isoc_r_gov_i
    where (nuts_level in (1, 2) or nuts_level is null)
),

-- High-tech manufacturing and knowledge-intensive services, one column each (C_HTC_MH, KIS).
technology as (
    pivot (select geo_code, year, sector_code, employment_pc, from staging.stg_htec_emp_reg2)
    on sector_code in ('C_HTC_MH', 'KIS') using max(employment_pc)
),

-- The indicators Eurostat publishes as a share, rate or level per region: one staged column each, joined
-- on region and year and turned into long form (a missing cell gives no row).
published as (
    unpivot (
        select
            geo_code as region_code,
            year,
            education.tertiary_attainment_pc,
            learning.adult_learning_pc as lifelong_learning_pc,
            leavers.early_leavers_pc,
            hrst.hrst_pc_active,
            technology.C_HTC_MH as high_tech_manufacturing_employment_pc,
            technology.KIS as kis_employment_pc,
            rd_personnel.rd_personnel_pc_active as business_rd_personnel_pc,
            patents.patents_per_million as epo_patents_per_million,
            broadband.households_pc as broadband_households_pc,
            internet.individuals_pc as daily_internet_users_pc,
            unemployment.unemployment_rate,
            income.income_pps_per_head as household_income_pps,
            density.persons_per_km2 as population_density,
        from staging.stg_edat_lfse_04 as education
        full join staging.stg_trng_lfse_04 as learning using (geo_code, year)
        full join staging.stg_edat_lfse_16 as leavers using (geo_code, year)
        full join staging.stg_hrst_st_rcat as hrst using (geo_code, year)
        full join technology using (geo_code, year)
        full join staging.stg_rd_p_persreg as rd_personnel using (geo_code, year)
        full join staging.stg_pat_ep_rtot as patents using (geo_code, year)
        full join staging.stg_isoc_r_broad_h as broadband using (geo_code, year)
        full join staging.stg_isoc_r_iuse_i as internet using (geo_code, year)
        full join staging.stg_lfst_r_lfu3rt as unemployment using (geo_code, year)
        full join staging.stg_nama_10r_2hhinc as income using (geo_code, year)
        full join staging.stg_demo_r_d3dens as density using (geo_code, year)
        where length(geo_code) in (3, 4) or geo_code in (select geo_code from config.eu_aggregates)
    )
    on columns(* exclude (region_code, year)) into name indicator_code value value
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
    union all
    select region_code, year, 'enterprise_death_rate', enterprise_death_rate from demography
    union all
    select region_code, year, 'ict_employment_share', ict_employment_share from labour
    union all
    select region_code, year, 'gdp_growth_pc', gdp_growth_pc from gdp_growth
    union all
    select region_code, year, 'average_wage_eur', average_wage_eur from business
    union all
    select region_code, year, 'local_unit_density', local_unit_density from business
    union all
    select region_code, year, 'gfcf_pc_gdp', gfcf_pc_gdp from investment
    union all
    select region_code, year, 'egovernment_users_pc', egovernment_users_pc from governance
    union all
    select region_code, year, 'financial_services_employment_share', financial_services_employment_share from labour
    union all
    select region_code, year, indicator_code, value from published
)

select
    final.*,
    if(eu.geo_code is null, length(final.region_code) - 2, null)::tinyint as nuts_level,
    eu.geo_code is not null as is_eu_aggregate,
from final
left join config.eu_aggregates as eu on eu.geo_code = final.region_code
where final.region_code not like '%Z'
