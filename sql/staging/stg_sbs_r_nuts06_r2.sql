-- Legacy regional structural business statistics (sbs_r_nuts06_r2, 2008-2020), renamed and typed.
-- European aggregates (EU28, EA19, ...: ref.geo_aggregates) are not regions: kept in raw, not staged.
-- One row per geo x NACE code x year x measure.
with source as (
    select * from raw.sbs_r_nuts06_r2
),

renamed as (
    select
        geo::varchar as geo_code,
        length(geo) - 2 as nuts_level,
        geo like '%Z' as is_extra_regio,
        replace(nace_r2, '.', '') as nace_code,
        nace_r2 = 'B-N_S95_X_K' as is_business_economy_total,
        cast(year as smallint) as year,
        case indic_sb
            when 'V11210' then 'local_units'
            when 'V16110' then 'employment'
            when 'V13320' then 'wages_meur'
            when 'V12150' then 'value_added_meur'  -- value added at factor cost, if a registry filter adds it
        end as measure,
        indic_sb::varchar as indicator_code,
        value,
        flags,
        conf_status,
        is_confidential,
        is_provisional,
        is_estimated,
        is_break,
        dataset,
        'sbs_legacy' as indicator_scheme,
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
