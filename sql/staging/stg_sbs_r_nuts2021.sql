-- Regional structural business statistics under the EBS regulation (sbs_r_nuts2021, 2021-), renamed and typed.
-- European aggregates (EU28, EA19, ...: ref.geo_aggregates) are not regions: kept in raw, not staged.
-- One row per geo x NACE code x year x measure.
with source as (
    select * from raw.sbs_r_nuts2021
),

renamed as (
    select
        geo::varchar as geo_code,
        length(geo) - 2 as nuts_level,
        geo like '%Z' as is_extra_regio,
        replace(nace_r2, '.', '') as nace_code,
        nace_r2 = 'B-S_X_O_S94' as is_business_economy_total,
        cast(year as smallint) as year,
        case indic_sbs
            when 'LOC_NR' then 'local_units'
            when 'EMP_LOC_NR' then 'employment'
            when 'WAGE_LOC_MEUR' then 'wages_meur'
        end as measure,
        indic_sbs::varchar as indicator_code,
        value,
        flags,
        conf_status,
        is_confidential,
        is_provisional,
        is_estimated,
        is_break,
        dataset,
        'sbs_ebs' as indicator_scheme,
        extract_sha256,
        load_run_id,
    from source
    where freq = 'A'
        and geo::varchar not in (select geo_code from ref.geo_aggregates)
        and year between getvariable('first_year') and getvariable('last_year')
),

final as (
    select * from renamed
    where measure is not null
)

select * from final
