-- The regional ecosystem scoreboard for people: fct_ecosystem_scoreboard with region and country names and
-- the dimension's name (`knowledge_and_skills` -> `Knowledge and skills`).
-- One row per region x dimension (or 'overall') x year.
-- Materialized: view (labels joined on read: nothing stored twice)
with scores as (
    select * from marts.fct_ecosystem_scoreboard
),

final as (
    select
        regions.region_name,
        regions.country_name,
        regions.nuts_level,
        upper(scores.dimension[1]) || replace(scores.dimension[2:], '_', ' ') as dimension_label,
        scores.*,
    from scores
    left join marts.dim_region as regions using (region_code)
)

select * from final
