{% macro kept_history_runs(history, runs, keep) %}
    {#- The run ids whose labels segment_history keeps (segment_history_keep_runs = keep):
        the keep latest runs in time (as-of date, then run), the newest build, and the run
        the newest build is compared with (segment_runs.previous_run_id). This post-hook
        runs before segment_transitions reads that run's labels, so it is kept until the next
        build: with keep 1 a weekly history holds two runs. The newest build counts apart for
        a backfill, which is not among the latest in time. Ranked among the runs that still
        have labels, so runs deleted earlier never come back into the count. -#}
    select ranked.run_id
    from (
        select
            labelled.run_id,
            row_number() over (
                order by labelled.as_of_date desc, labelled.run_id desc
            ) as recency_rank
        from (select distinct run_id, as_of_date from {{ history }}) as labelled
    ) as ranked
    where ranked.recency_rank <= {{ keep }}
    union all
    select newest.run_id
    from {{ runs }} as newest
    where newest.run_id = (select max(all_runs.run_id) from {{ runs }} as all_runs)
    union all
    select newest.previous_run_id
    from {{ runs }} as newest
    where
        newest.run_id = (select max(all_runs.run_id) from {{ runs }} as all_runs)
        and newest.previous_run_id is not null
{% endmacro %}


{% macro prune_segment_history(history, runs) %}
    {#- segment_history's post-hook: delete the labels of runs it no longer keeps
        (kept_history_runs) when segment_history_keep_runs is above 0. The CLI copies the
        history into every new warehouse file, so without a bound each weekly build copies
        one more run of every customer than the last. segment_runs keeps its row of every
        run, so the run log stays whole. Runs its own statements; returns no SQL. -#}
    {%- set keep = var('segment_history_keep_runs') | int %}
    {%- if execute and keep > 0 %}
        {%- set counted = run_query('select count(distinct run_id) from ' ~ history) %}
        {%- if counted.columns[0].values()[0] > keep %}
            {%- do adapter.dispatch('delete_unkept_history', 'couponseg')(
                history, kept_history_runs(history, runs, keep)) %}
        {%- endif %}
    {%- endif %}
{% endmacro %}


{% macro default__delete_unkept_history(history, kept) %}
    {%- do run_query('delete from ' ~ history ~ ' where run_id not in (' ~ kept ~ ')') %}
{% endmacro %}


{% macro spark__delete_unkept_history(history, kept) %}
    {#- Parquet tables take no DELETE, and Spark refuses to overwrite a table from a query
        that reads it: the kept rows go to a table of their own first. Not atomic, as
        nothing on plain Parquet is: a build stopped between the overwrite and the drop
        leaves the staging table, which the next build refuses to drop. -#}
    {%- set staged = history.incorporate(path={'identifier': history.identifier ~ '__kept'}) %}
    {%- if adapter.get_relation(staged.database, staged.schema, staged.identifier) %}
        {#- left by a rewrite that did not finish: it may hold the only copy of the kept rows -#}
        {{ exceptions.raise_compiler_error(
            staged ~ ' exists: an earlier pruning of ' ~ history ~ ' stopped before it '
            ~ 'finished, and it may hold the only copy of the kept labels. Compare the two, '
            ~ 'copy back what ' ~ history ~ ' lacks (insert into ... select ...), then drop '
            ~ staged ~ ' and build again.') }}
    {%- endif %}
    {%- do run_query('create table ' ~ staged ~ ' using parquet as select * from ' ~ history
        ~ ' where run_id in (' ~ kept ~ ')') %}
    {%- do run_query('insert overwrite table ' ~ history ~ ' select * from ' ~ staged) %}
    {%- do run_query('drop table ' ~ staged) %}
{% endmacro %}
