-- The region-years an SBS dataset really reports: a region (any NUTS level, extra-regio excluded) in a
-- year in which it publishes at least the setting region_year_min_cells_share of the cells it publishes in
-- its fullest year. Real files carry stray cells under codes of another NUTS version (in the 2017
-- sbs_r_nuts06_r2, the 2013 codes UKD6 and UKD7 hold section F alone in 2010, while UKD2 reports the
-- region): such a region-year takes no part, so it is neither a region of its own nor counted twice.
-- One row per dataset x region x year.
-- Partitioned: country (a country's rows come from its own regions' rows only)
with staged as (
    select dataset, geo_code, nuts_level, is_extra_regio, year, value,
    from staging.stg_sbs_r_nuts06_r2
    union all
    select dataset, geo_code, nuts_level, is_extra_regio, year, value,
    from staging.stg_sbs_r_nuts2021
),

counted as (
    select dataset, geo_code, any_value(nuts_level) as nuts_level, year, count(value) as published_cells,
    from staged
    where not is_extra_regio
    group by dataset, geo_code, year
),

final as (
    select
        dataset,
        geo_code,
        nuts_level,
        year,
        published_cells,
        max(published_cells) over (partition by dataset, geo_code) as fullest_year_cells,
    from counted
    where published_cells > 0
    qualify published_cells >= getvariable('region_year_min_cells_share') * fullest_year_cells
)

select * from final
