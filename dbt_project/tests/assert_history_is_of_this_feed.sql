-- Stops the build, in words, when this input is not the feed the warehouse's segment history
-- came from (segment_feed_check says why and what to do). It runs before the segment model
-- is reused or trained and before this run's labels are appended, so a refused build changes
-- no history: on DuckDB the CLI keeps the previous warehouse file as it was, and a hand-run
-- `dbt build` skips every model downstream. The error is raised in the filter, not the select
-- list: dbt counts a test's rows, and a column it does not read is never computed.
select refusal
from {{ ref('segment_feed_check') }}
where
    refusal is not null
    and (case when refusal is not null then {{ raise_error('refusal') }} end) is null
