{% macro var_rules() %}
    {#- The one statement of what each dbt var of dbt_project.yml may hold: kind and range.
        check_vars reads it before a build starts. tests/test_single_sources.py fails when a
        var the project reads, or one dbt_project.yml sets, is missing here. The segment
        settings' maximum is that of the model table's 32-bit columns (store.py). -#}
    {{ return({
        'offer_min_claims': {'kind': 'integer', 'min': 1},
        'offer_max_recommendations': {'kind': 'integer', 'min': 1},
        'offer_coupon_min_claims': {'kind': 'integer', 'min': 0},
        'impact_window_months': {'kind': 'integer', 'min': 1},
        'campaign_max_priority': {'kind': 'integer', 'min': 0},
        'holdout_share': {'kind': 'number', 'min': 0, 'max': 0.5},
        'campaign_seed': {'kind': 'text'},
        'as_of': {'kind': 'date', 'empty': true},
        'burn_window_days': {'kind': 'integer', 'min': 1},
        'kpi_period_days': {'kind': 'integer', 'min': 1},
        'insight_min_month_claims': {'kind': 'integer', 'min': 0},
        'insight_min_city_claims': {'kind': 'integer', 'min': 0},
        'stale_feed_days': {'kind': 'integer', 'min': 0},
        'thin_cell_claims': {'kind': 'integer', 'min': 0},
        'segment_seed': {'kind': 'integer', 'min': 0, 'max': 2147483647},
        'segment_k_min': {'kind': 'integer', 'min': 2, 'max': 2147483647},
        'segment_k_max': {'kind': 'integer', 'min': 2, 'max': 2147483647,
                          'min_var': 'segment_k_min'},
        'segment_sample_size': {'kind': 'integer', 'min': 2, 'max': 2147483647,
                                'min_var': 'segment_k_max'},
        'segment_retrain': {'kind': 'boolean'},
        'segment_history_keep_runs': {'kind': 'integer', 'min': 0, 'max': 2147483647},
        'segment_feed_min_match': {'kind': 'number', 'min': 0, 'max': 1},
        'earliest_plausible_date': {'kind': 'date'},
        'plausible_feed_share': {'kind': 'number', 'min': 0, 'above_min': true, 'max': 1},
        'plausible_days_after_feed': {'kind': 'integer', 'min': 0},
    }) }}
{% endmacro %}


{% macro check_vars() %}
    {#- Run before every build (on-run-start): each var against var_rules, every problem in
        one message naming the var, its value and what it may be. Without it a bad value
        surfaced late and far from its cause: holdout_share 0.7 failed a data test after the
        whole build, impact_window_months 0 divided by zero, 2.5 claims printed as 2. -#}
    {%- if execute %}
        {%- set problems = [] %}
        {%- set rules = var_rules() %}
        {%- for name, rule in rules.items() %}
            {%- set problem = var_problem(name, var(name, none), rule) %}
            {%- if problem %}{% do problems.append(problem) %}{% endif %}
        {%- endfor %}
        {%- if problems %}
            {{ exceptions.raise_compiler_error(
                'Invalid dbt vars (set in dbt_project.yml `vars:`, by --vars, or by a '
                ~ 'couponseg option such as --seed or --as-of):\n  '
                ~ problems | join('\n  ')) }}
        {%- endif %}
    {%- endif %}
{% endmacro %}


{% macro var_problem(name, value, rule) %}
    {#- What is wrong with one var's value, in words; '' when nothing. Numbers and yes/no
        may come as text (an orchestrator's --vars often quotes them): dbt pastes the text
        into the SQL, so '30' works as 30 did, and is checked as 30. -#}
    {%- set kind = rule['kind'] %}
    {%- set shown = name ~ ' = ' ~ ((value | tojson)
        if value is string or value is number else (value | string)) %}
    {%- if value is none %}
        {{ return(name ~ ' has no value: dbt_project.yml `vars:` must define it') }}
    {%- elif kind == 'boolean' %}
        {%- set word = (value | string | trim | lower) if value is not mapping
            and (value is string or value is number) else none %}
        {%- set ok = value is boolean or word in ('true', 'false', 'yes', 'no', '1', '0') %}
        {{ return('' if ok else shown ~ ': must be true or false (or yes / no, 1 / 0)') }}
    {%- elif kind == 'text' %}
        {#- A whole number is its digits; a fraction is refused: 2024.0 reads as the text
            '2024.0', another campaign_seed than 2024, so the holdout would change unseen. -#}
        {%- if value is number and value is not boolean and value is not integer %}
            {{ return(shown ~ ': a number with a decimal point reads as another text than '
                ~ 'the whole number; give a whole number or quote the text') }}
        {%- endif %}
        {%- set ok = (value is string and value | trim != '')
            or (value is number and value is not boolean) %}
        {{ return('' if ok else shown ~ ': must be a non-empty text') }}
    {%- elif kind == 'date' %}
        {{ return(date_var_problem(shown, value, rule.get('empty', false))) }}
    {%- endif %}
    {%- set whole = kind == 'integer' %}
    {%- set number = var_number(value, whole) %}
    {%- if number is none %}
        {{ return(shown ~ ': must be ' ~ ('a whole number' if whole else 'a number')
            ~ var_range_words(rule)) }}
    {%- endif %}
    {%- set low = var_number(var(rule['min_var'], none), true) if 'min_var' in rule else none %}
    {%- if 'min' in rule and (number < rule['min']
            or (rule.get('above_min') and number == rule['min']))
        or ('max' in rule and number > rule['max'])
        or (low is not none and number < low) %}
        {{ return(shown ~ ': must be ' ~ var_range_words(rule).lstrip(', ')) }}
    {%- endif %}
    {{ return('') }}
{% endmacro %}


{% macro var_number(value, whole) %}
    {#- The number a var holds (as a number, or as text that is one); none when it holds
        none, or (whole) not a whole one. Not-a-number and booleans are none. -#}
    {%- if value is boolean or value is none %}
        {{ return(none) }}
    {%- elif value is number %}
        {{ return(value if value == value and (value is integer or not whole) else none) }}
    {%- elif value is string %}
        {%- set text = value | trim %}
        {%- if modules.re.fullmatch('[+-]?[0-9]+', text) %}
            {{ return(text | int) }}
        {%- elif not whole and modules.re.fullmatch('[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?', text) %}
            {{ return(text | float) }}
        {%- endif %}
    {%- endif %}
    {{ return(none) }}
{% endmacro %}


{% macro whole_var(name) %}
    {#- A whole-number var for arithmetic Jinja does in a model (text that is one, as
        orchestrators pass --vars, is its number). Anything else gives 0 while dbt parses,
        only so that the project parses and the on-run-start check can stop a build naming
        the var; a command that runs no such hook (dbt compile, dbt show) stops here, in
        the check's words (var_problem). -#}
    {%- set problem = var_problem(name, var(name), var_rules()[name]) if execute else '' %}
    {%- if problem %}
        {{ exceptions.raise_compiler_error('couponseg check: ' ~ problem) }}
    {%- endif %}
    {{ return(var_number(var(name), true) or 0) }}
{% endmacro %}


{% macro var_range_words(rule) %}
    {#- ", from 0 to 0.5" / ", at least 1" / ", above 0 and at most 1", plus the var it may
        not be below. -#}
    {%- set words = [] %}
    {%- if 'min' in rule and 'max' in rule and not rule.get('above_min') %}
        {% do words.append('from ' ~ rule['min'] ~ ' to ' ~ rule['max']) %}
    {%- else %}
        {%- if 'min' in rule %}
            {% do words.append(('above ' if rule.get('above_min') else 'at least ') ~ rule['min']) %}
        {%- endif %}
        {%- if 'max' in rule %}{% do words.append('at most ' ~ rule['max']) %}{% endif %}
    {%- endif %}
    {%- if 'min_var' in rule %}
        {% do words.append('not below ' ~ rule['min_var'] ~ ' (' ~ var(rule['min_var']) ~ ')') %}
    {%- endif %}
    {{ return((', ' ~ words | join(' and ')) if words else '') }}
{% endmacro %}


{% macro date_var_problem(shown, value, empty_ok) %}
    {#- A calendar date written YYYY-MM-DD (or '' where empty means "from the data"). -#}
    {%- set need = ': must be a date written YYYY-MM-DD' ~ (", or '' for the data's own" if empty_ok else '') %}
    {%- if value is string and value == '' %}
        {{ return('' if empty_ok else shown ~ need) }}
    {%- endif %}
    {%- set text = value | string %}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) %}
        {{ return(shown ~ need) }}
    {%- endif %}
    {%- set y, m, d = text[0:4] | int, text[5:7] | int, text[8:10] | int %}
    {%- set leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0) %}
    {%- set days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] %}
    {%- if y < 1 or m < 1 or m > 12 or d < 1 or d > days[m - 1] %}
        {{ return(shown ~ need ~ ' (no such day)') }}
    {%- endif %}
    {{ return('') }}
{% endmacro %}
