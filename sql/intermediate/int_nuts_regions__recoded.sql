-- Regions (output codes, mostly of the target NUTS version) that a NUTS revision touched in the SBS data:
-- converted from other codes, or left under an old code because the change could not be bridged. Trends
-- use it to tell a missing endpoint caused by a recode (break reason nuts_recode) from plain missing data.
-- One row per region code.
select output_code as region_code from intermediate.int_nuts_links__routed where conversion <> 'unchanged'
union
select target_code from intermediate.int_nuts_links__resolved where change <> 'unchanged'
