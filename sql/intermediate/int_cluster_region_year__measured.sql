-- Cluster cells with the measures the stars are judged on: location quotient (denominator set by
-- lq_denominator: total or traded employment), focus (share of the region's employment), share of
-- European category employment, average wage, productivity (value added per person employed, where the
-- extracts carry value added); the region's and Europe's totals alongside. Europe is the regions of the
-- setting reference_countries (default: every country in the data) that have a business-economy total
-- that year: the same regions make up E_i and E; a region outside it is measured against it (its LQ)
-- but has no share of it, and a category with fewer persons employed in it than the setting
-- lq_min_reference_employment has no LQ (a reference of a few estimated jobs). A cell earns no star, with `no_star_reason`, when its
-- category lies mostly outside the SBS regime's scope (int_category_scopes__measured:
-- 'outside_dataset_scope') or when more of its employment than the setting max_imputed_share_for_stars
-- was estimated rather than published ('mostly_estimated').
-- One row per region x category x year.
with cells as (
    select * from intermediate.int_cluster_region_year__harmonised
),

region_totals as (
    select * from intermediate.int_region_year__totals
),

reference_regions as (
    select
        *,
        total_employment is not null
            and (
                len(getvariable('reference_countries')) = 0
                or list_contains(getvariable('reference_countries'), country_code)
            ) as is_in_reference,
    from region_totals
),

with_region as (
    select
        cells.*,
        region_totals.total_employment as region_total_employment,
        region_totals.traded_employment as region_traded_employment,
        region_totals.total_source as region_total_source,
        coalesce(region_totals.is_in_reference, false) as is_in_reference,
        case getvariable('lq_denominator')
            when 'traded' then region_totals.traded_employment
            else region_totals.total_employment
        end as region_denominator,
        scopes.scope_share,
        coalesce(scopes.is_mostly_outside, false) as is_mostly_outside_scope,
    from cells
    left join reference_regions as region_totals using (region_code, year)
    left join intermediate.int_category_scopes__measured as scopes
        on scopes.category_code = cells.category_code
        and scopes.indicator_scheme = cells.indicator_scheme
),

europe as (
    select
        year,
        sum(total_employment::decimal(38, 12))::double as eu_total_employment,
        sum(traded_employment::decimal(38, 12))::double as eu_traded_employment,
    from reference_regions
    where is_in_reference
    group by year
),

with_reference as (
    select
        with_region.*,
        sum(with_region.employment::decimal(38, 12)) filter (where with_region.is_in_reference) over (
            partition by category_code, year
        )::double as eu_category_employment,
        europe.eu_total_employment,
        case getvariable('lq_denominator')
            when 'traded' then europe.eu_traded_employment
            else europe.eu_total_employment
        end as eu_denominator,
    from with_region
    left join europe using (year)
),

final as (
    select
        * exclude (region_denominator, eu_denominator, is_mostly_outside_scope),
        case when eu_category_employment >= getvariable('lq_min_reference_employment') then
            (employment / nullif(region_denominator, 0))
                / nullif(eu_category_employment / nullif(eu_denominator, 0), 0)
        end as lq,
        employment / nullif(region_total_employment, 0) as focus_share,
        case when is_in_reference then employment / nullif(eu_category_employment, 0) end
            as eu_category_share,
        1e6 * wages_meur / nullif(employment, 0) as avg_wage_eur,
        1e6 * value_added_meur / nullif(employment, 0) as productivity_eur,
        imputed_employment / nullif(employment, 0) as imputed_employment_share,
        case
            when is_mostly_outside_scope then 'outside_dataset_scope'
            when imputed_employment / nullif(employment, 0) > getvariable('max_imputed_share_for_stars')
                then 'mostly_estimated'
        end as no_star_reason,
    from with_reference
)

select * from final
