-- Column types of every staged and mart table: measures DOUBLE, years SMALLINT, flag booleans BOOLEAN,
-- stars TINYINT, codes VARCHAR.
with checked as (
    select
        schema_name || '.' || table_name as relation,
        column_name,
        data_type,
        case
            when column_name in (
                'value', 'employment', 'local_units', 'wages_meur', 'avg_wage_eur', 'lq', 'focus_share',
                'eu_category_share', 'employment_ths', 'score', 'employment_cagr', 'employment_start',
                'employment_end', 'employment_change', 'region_total_employment', 'eu_category_employment',
                'eu_total_employment', 'imputed_employment', 'imputed_employment_share', 'value_added_meur',
                'productivity_eur'
            ) and data_type <> 'DOUBLE' then format('{}.{} is {}, expected DOUBLE', table_name, column_name, data_type)
            when column_name in ('year', 'window_start', 'window_end') and data_type <> 'SMALLINT'
                then format('{}.{} is {}, expected SMALLINT', table_name, column_name, data_type)
            when (column_name like 'is\_%' escape '\' or column_name like 'has\_%' escape '\') and data_type <> 'BOOLEAN'
                then format('{}.{} is {}, expected BOOLEAN', table_name, column_name, data_type)
            when column_name in ('size_star', 'specialisation_star', 'focus_star', 'star_count') and data_type <> 'TINYINT'
                then format('{}.{} is {}, expected TINYINT', table_name, column_name, data_type)
            when column_name in ('region_code', 'category_code', 'geo_code', 'nace_code', 'dataset', 'flags', 'indicator_code')
                and data_type <> 'VARCHAR' then format('{}.{} is {}, expected VARCHAR', table_name, column_name, data_type)
        end as problem,
    from duckdb_columns()
    where schema_name in ('staging', 'marts')
)

select * from checked where problem is not null
