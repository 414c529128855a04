-- The scoreboard's dimensions with the number of catalogue indicators behind each, and 'overall' with the
-- indicators of the dimensions that carry a weight (scoreboard.dimension_weights): the denominators of
-- a composite's coverage.
-- One row per dimension (or 'overall').
with weights as (
    select * from config.scoreboard_weights
),

catalogue as (
    select dimension, count(*) as n_catalogue_indicators
    from ref.ecosystem_indicators
    group by dimension
),

final as (
    select dimension, n_catalogue_indicators from catalogue
    union all
    select 'overall', sum(catalogue.n_catalogue_indicators)::bigint
    from catalogue
    join weights using (dimension)
    where weights.weight > 0
)

select * from final
