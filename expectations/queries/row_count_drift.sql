-- Row-count drift: the rows of each table of the stage being validated (variable validation_stage)
-- against the last published run; a relative change above max_row_count_drift (default 25 %) is reported.
with previous_run as (
    select run_id from meta.load_runs
    where status = 'published'
    order by finished_at desc
    limit 1
),

previous as (
    select relation, rows from meta.row_counts
    where run_id = (select run_id from previous_run)
),

current_ as (
    select schema_name || '.' || table_name as relation, estimated_size as rows
    from duckdb_tables()
    where schema_name = getvariable('validation_stage')
),

checked as (
    select
        current_.relation,
        previous.rows as previous_rows,
        current_.rows,
        case when abs(current_.rows - previous.rows) > getvariable('max_row_count_drift') * greatest(previous.rows, 1) then
            format('{}: {} rows, {} in the last published run', current_.relation, current_.rows, previous.rows)
        end as problem,
    from current_
    join previous using (relation)
)

select * from checked where problem is not null
