"""Cut dbt's fixed Python cost per node, which is most of a small build's time.

A build runs ~310 nodes and, on small and medium inputs, spends most of its time in dbt's own
Python rather than in DuckDB: one process, one interpreter lock, so its two threads take turns.
Profiled on the shipped sample, about a fifth of that went into log events that nobody reads
(every SQL statement, connection and transaction is an event, turned into a protobuf message
twice, then filtered out by every logger), a few percent into rebuilding the same result-table
type detectors for every query, and a few into the garbage collector walking dbt's permanent
objects. These patches skip that work and change nothing dbt writes: the same events reach the
same loggers, the same result tables come back. The sample's rerun went from ~11.5 s to ~8 s.
A later profile of the real workbook's rerun (interpreter-lock holders only) found about a
fifth of the dbt process's time in binding the ~600 macros of the project and its adapters
into every node context; binding them in one pass took that build from 6.64 to 6.15 s (mean
of four builds each, alternated).

Each patch replaces one dbt-core 1.11 / dbt-common internal and returns False, leaving dbt as
it is, when that internal is not there. ``DBT_LOG_LEVEL_FILE=debug`` brings every SQL statement
back into ``logs/dbt.log`` (the build's default file level is ``info``: couponseg/build.py).
"""

from __future__ import annotations

import gc
import hashlib
import marshal
import os
import shutil
import sys
import threading
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING, Any

from models_py.paths import DBT_PROJECT_DIR

if TYPE_CHECKING:  # dbt and Jinja are imported by the patches themselves, once dbt runs
    from _hashlib import HASH  # what hashlib.sha256() makes

    import jinja2.nodes
    from dbt.clients.jinja import MacroGenerator
    from dbt.context.macros import MacroNamespace
    from dbt.contracts.graph.nodes import Macro
    from dbt_common.events.base_types import BaseEvent, EventLevel
    from dbt_common.events.event_manager import EventManager


def skip_events_no_logger_writes() -> bool:
    """Return early from dbt's event manager for a debug event below the level of every logger
    (and one no callback but dbt's own behaviour-change tracker reads), before it is turned
    into a message; False if the event manager no longer looks as expected."""
    from dbt_common.events.event_manager import EventManager
    from dbt_common.events.logger import _log_level_map

    fire = getattr(EventManager, "fire_event", None)
    if not callable(fire):
        return False

    def fire_event(self: EventManager, e: BaseEvent, level: EventLevel | None = None,
                   node: Any = None, force_warn_or_error_handling: bool = False) -> None:
        if force_warn_or_error_handling or _heard(self, level or e.level_tag(), _log_level_map):
            fire(self, e, level, node, force_warn_or_error_handling)

    EventManager.fire_event = fire_event
    return True


DEBUG_RANK = 10  # dbt-common's rank of debug (and test) events, as Python's logging.DEBUG


def _heard(manager: EventManager, level: EventLevel, ranks: dict) -> bool:
    """Whether some logger writes events of ``level`` or some callback may read them.

    Only debug-level events are ever dropped (every SQL statement, connection and
    transaction is one): dbt may still act on a warning nobody logs (``--warn-error``), and
    loggers write some info events (``print()``, ``dbt show``) at error level.
    """
    rank = ranks.get(level)
    loggers = getattr(manager, "loggers", None)
    if rank is None or loggers is None or rank > DEBUG_RANK:
        return True
    if any(getattr(callback, "__name__", "") != "track_behavior_change_warn"
           for callback in getattr(manager, "callbacks", [])):
        return True
    return any(ranks.get(getattr(logger, "level", None), 0) <= rank for logger in loggers)


def build_event_messages_when_read() -> bool:
    """Make dbt's events build their protobuf message on first use instead of in
    ``BaseEvent.__init__``, so an event that no logger writes costs no conversion; False if
    dbt-common's events no longer build it there. A malformed event (a programming error in
    dbt) is therefore reported, as dbt does, when it is first read rather than when made."""
    from dbt_common.events.base_types import BaseEvent

    build = getattr(BaseEvent, "__init__", None)
    if not callable(build) or "pb_msg" in vars(BaseEvent):
        return False
    building = threading.RLock()  # building one event may fire another (a malformed event)

    # Any: the event's own fields, kept for BaseEvent.__init__ (which takes *args, **kwargs)
    def lazy_init(self: BaseEvent, *args: Any, **kwargs: Any) -> None:
        object.__setattr__(self, "_pending", (args, kwargs))

    def message(self: BaseEvent):
        with building:  # an event is read by the thread that made it; this makes sure
            if "pb_msg" not in vars(self):
                args, kwargs = object.__getattribute__(self, "_pending")
                build(self, *args, **kwargs)  # sets pb_msg (reports a malformed event)
                object.__delattr__(self, "_pending")
        return object.__getattribute__(self, "pb_msg")

    def get_attribute(self: BaseEvent, key: str):
        if key == "pb_msg":
            return message(self)
        return getattr(object.__getattribute__(self, "pb_msg")
                       if "pb_msg" in vars(self) else message(self), key)

    def set_attribute(self: BaseEvent, key: str, value: object) -> None:
        if key == "pb_msg":
            object.__setattr__(self, key, value)
        else:
            setattr(self.pb_msg, key, value)

    BaseEvent.__init__ = lazy_init
    BaseEvent.__getattr__ = get_attribute
    BaseEvent.__setattr__ = set_attribute
    return True


def reuse_result_type_testers() -> bool:
    """Build each of dbt's result-table type detectors once (``build_type_tester``), instead of
    once per query: each builds date parsers whose set-up is the costly part. The detectors
    hold no state between tables. False if dbt-common no longer has that function."""
    from dbt_common.clients import agate_helper

    build = getattr(agate_helper, "build_type_tester", None)
    if not callable(build):
        return False

    @lru_cache(maxsize=256)
    def cached(text_columns: tuple[str, ...], string_null_values: tuple[str, ...] | None):
        return build(text_columns, string_null_values=string_null_values)

    def build_type_tester(text_columns: Iterable[str],
                          string_null_values: Iterable[str] | None = ("null", "")):
        nulls = None if string_null_values is None else tuple(string_null_values)
        return cached(tuple(text_columns), nulls)

    agate_helper.build_type_tester = build_type_tester
    return True


def reuse_one_empty_table() -> bool:
    """Return one shared empty result table for every statement that fetches nothing
    (``agate_helper.empty_table``): building one sets up date parsers, and agate tables are
    never changed in place. False if dbt-common no longer has that function."""
    from dbt_common.clients import agate_helper

    empty_table = getattr(agate_helper, "empty_table", None)
    if not callable(empty_table):
        return False
    agate_helper.empty_table = lru_cache(maxsize=1)(empty_table)
    return True


def collect_garbage_less_often() -> bool:
    """Exempt everything imported so far from garbage collection and run the collector less
    often (first generation every 50,000 allocations instead of 700).

    dbt allocates millions of short-lived objects per build (node contexts, templates, result
    rows); with Python's default thresholds the cyclic collector kept walking dbt's large,
    permanent module graph, ~2 % of a 10M build's CPU and all of it holding the interpreter
    lock. Measured on the real workbook's rerun: 8.95 -> 8.21 s (five runs each).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    return True


def build_macro_namespaces_in_one_pass() -> bool:
    """Build each node context's macro namespace (~600 callable macros, made afresh for every
    context, several per node) without dbt's per-macro bookkeeping, and flatten it into the
    context with one dict merge instead of one five-level search per macro name.

    Profiled on the real workbook's rerun, these two steps held the interpreter lock for about
    a fifth of the dbt process's time. The result is the same: the same generator objects (of
    dbt's own class, bound to the same context, node and macro stack) under the same names,
    with the same precedence (the node's package, then the root project, then other packages,
    then dbt's internal packages). False, leaving dbt as it is, if dbt's classes differ from
    what this expects.
    """
    from dbt.clients.jinja import MacroGenerator
    from dbt.context import macros
    from dbt.context.manifest import ManifestContext

    builder_class, namespace_class = macros.MacroNamespaceBuilder, macros.MacroNamespace
    if not (callable(getattr(builder_class, "build_namespace", None))
            and callable(getattr(ManifestContext, "to_dict", None))
            and _generator_fields(MacroGenerator) == {"context", "macro", "node", "stack"}):
        return False
    to_dict = ManifestContext.to_dict

    def build_namespace(self: macros.MacroNamespaceBuilder,
                        macros_by_package: dict[str, dict[str, Macro]], ctx: dict[str, Any]):
        internal = self.internal_package_names
        node, stack, new = self.node, self.thread_ctx, object.__new__
        packages, internal_packages = {}, {}
        for package, package_macros in macros_by_package.items():
            made = {}
            for name, macro in package_macros.items():
                generator = new(MacroGenerator)
                generator.__dict__.update(context=ctx, macro=macro, node=node, stack=stack)
                made[name] = generator
            (internal_packages if package in internal else packages)[package] = made
        global_project: dict = {}
        for package in reversed(self.internal_package_names_order):
            global_project.update(internal_packages.get(package, {}))
        search, root = self.search_package, self.root_package
        local = dict(packages.get(search, {}))
        root_macros = dict(packages.get(root, {})) if root != search else {}
        return namespace_class(global_namespace=root_macros, local_namespace=local,
                               global_project_namespace=global_project, packages=packages)

    def flat_to_dict(self: ManifestContext):
        namespace = self.namespace
        if type(namespace) is not namespace_class:
            return to_dict(self)
        context = super(ManifestContext, self).to_dict()
        context.update(_flattened(namespace))
        return context

    builder_class.build_namespace = build_namespace
    ManifestContext.to_dict = flat_to_dict
    return True


TEMPLATE_CACHE_MAX_FILES = 20_000  # ~600 templates per project version; cleared beyond this


def cache_compiled_templates(folder: Path | None = None) -> bool:
    """Keep the Python code Jinja compiles each of dbt's templates to, on disk, for the next
    build.

    dbt compiles every node's SQL and every macro it calls from Jinja source in every run:
    lexing, parsing and generating Python for ~600 templates, then compiling that Python.
    Profiled on the real workbook's rerun (interpreter-lock holders only), that was about
    0.85 s of the dbt process's ~8 s. The source rarely changes between weekly builds, so the
    code object is stored (marshal, as Jinja's own bytecode cache does). Only dbt's own
    environments are cached (any other Jinja user in the process compiles as before), under
    a key made of the source, the template's names, the environment's settings that shape
    the code (class, delimiters, whitespace rules, extensions, policies, autoescape,
    finalize, and each filter and test by its code, since Jinja calls filters while it
    compiles to fold constants) and the versions of Python, Jinja, MarkupSafe and the dbt
    packages: a template compiles afresh whenever any of them differs. dbt's macro debugging
    (which keeps the generated code for tracebacks) bypasses the cache. Writes are atomic
    (several builds may share the folder); a file that cannot be read as code is compiled
    again. False, leaving Jinja as it is, if its compile step differs from what this expects.
    """
    import inspect

    from jinja2 import Environment

    compile_ = getattr(Environment, "compile", None)
    if not callable(compile_) or list(inspect.signature(compile_).parameters) != [
            "self", "source", "name", "filename", "raw", "defer_init"]:
        return False
    folder = folder or DBT_PROJECT_DIR / "target" / "template_cache"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if sum(1 for _ in folder.iterdir()) > TEMPLATE_CACHE_MAX_FILES:
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    versions = _versions()

    def compile(self: Environment, source: str | jinja2.nodes.Template, name: str | None = None,
                filename: str | None = None, raw: bool = False, defer_init: bool = False):
        if raw or not isinstance(source, str) or not _cacheable(self):
            return compile_(self, source, name, filename, raw, defer_init)
        key = hashlib.sha256(repr((versions, _environment_signature(self), name, filename,
                                   defer_init)).encode() + b"\0"
                             + source.encode("utf-8", "surrogatepass"))
        path = folder / key.hexdigest()
        try:
            code = marshal.loads(path.read_bytes())
            if isinstance(code, CodeType):
                return code
        except Exception:  # noqa: BLE001 - a damaged or foreign file: compile afresh
            pass
        code = compile_(self, source, name, filename, raw, defer_init)
        _store(path, marshal.dumps(code))
        return code

    Environment.compile = compile
    return True


TEMPLATE_PACKAGES = ("jinja2", "MarkupSafe", "dbt-core", "dbt-common", "dbt-adapters",
                     "dbt-duckdb", "dbt-spark")


def _versions() -> tuple:
    from importlib import metadata

    def version(package: str) -> str | None:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None

    return sys.version, tuple((package, version(package)) for package in TEMPLATE_PACKAGES)


def _cacheable(env: jinja2.Environment) -> bool:
    """dbt's own environments, and not while dbt's macro debugging wants the generated code
    (it is set after import, so read at each call)."""
    if not type(env).__module__.startswith(("dbt_common.", "dbt.")):
        return False
    jinja = sys.modules.get("dbt_common.clients.jinja")
    return not getattr(jinja, "MACRO_DEBUGGING", False)


def _environment_signature(env: jinja2.Environment) -> tuple:
    """Everything of an environment that the code Jinja generates for a template depends on."""
    return (_identity(type(env)), env.block_start_string, env.block_end_string,
            env.variable_start_string, env.variable_end_string, env.comment_start_string,
            env.comment_end_string, env.line_statement_prefix, env.line_comment_prefix,
            env.trim_blocks, env.lstrip_blocks, env.newline_sequence, env.keep_trailing_newline,
            tuple(sorted((name, _identity(type(ext))) for name, ext in env.extensions.items())),
            env.optimized, env.is_async, _identity(env.autoescape), _identity(env.finalize),
            _identity(env.code_generator_class), _identity(env.context_class),
            _identity(env.undefined), repr(sorted((k, _identity(v) if callable(v) else repr(v))
                                                  for k, v in env.policies.items())),
            tuple(sorted((name, _identity(f)) for name, f in env.filters.items())),
            tuple(sorted((name, _identity(t)) for name, t in env.tests.items())))


_IDENTITIES: dict[int, tuple[object, str]] = {}


def _identity(value: object) -> object:
    """A name for a setting that is the same in the next process exactly when the setting
    is: booleans, strings and None as they are; a function by its module, name and code
    (constants and closure included); a class by its module and name."""
    if value is None or isinstance(value, bool | str):
        return value
    known = _IDENTITIES.get(id(value))
    if known is not None and known[0] is value:
        return known[1]
    name = f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', type(value))}"
    code = getattr(value, "__code__", None)
    if isinstance(code, CodeType):
        digest = hashlib.sha256()
        _digest_code(code, digest)
        for cell in value.__closure__ or ():
            contents = cell.cell_contents
            digest.update(repr(_identity(contents) if callable(contents) else
                               _stable_repr(contents)).encode())
        name += ":" + digest.hexdigest()[:16]
    elif not isinstance(value, type):
        name += f":{type(value).__module__}.{type(value).__qualname__}:{value!r}"
    _IDENTITIES[id(value)] = (value, name)
    return name


def _digest_code(code: CodeType, digest: HASH) -> None:
    """Feed a function's code into ``digest`` the same way in every process: nested code
    objects by their content (their repr holds an address), sets sorted (their order
    follows the string hash seed)."""
    digest.update(code.co_code)
    digest.update(repr(code.co_names).encode())
    for const in code.co_consts:
        if isinstance(const, CodeType):
            _digest_code(const, digest)
        else:
            digest.update(_stable_repr(const).encode())


def _stable_repr(value: object) -> str:
    if isinstance(value, frozenset | set):
        return "{" + ", ".join(sorted(_stable_repr(item) for item in value)) + "}"
    if isinstance(value, tuple):
        return "(" + ", ".join(_stable_repr(item) for item in value) + ")"
    return repr(value)


def _store(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)


def _generator_fields(generator_class: type[MacroGenerator]) -> set[str]:
    """The attributes dbt's MacroGenerator sets when made (its ``__init__`` chain)."""
    try:
        return set(vars(generator_class(macro=None, context={}, node=None, stack=None)))
    except TypeError:
        return set()


def _flattened(namespace: MacroNamespace) -> dict:
    """``dict(namespace)``, built from the lowest precedence up so each name keeps the value
    dbt's ``MacroNamespace.__getitem__`` finds first."""
    from dbt.include.global_project import PROJECT_NAME

    flat = dict(namespace.global_project_namespace)
    flat[PROJECT_NAME] = namespace.global_project_namespace
    flat.update(namespace.packages)
    flat.update(namespace.global_namespace)
    flat.update(namespace.local_namespace)
    return flat


def apply() -> list[str]:
    """Apply every patch (after dbt is imported); return those that could not be applied."""
    patches = (skip_events_no_logger_writes, build_event_messages_when_read,
               reuse_result_type_testers, reuse_one_empty_table,
               build_macro_namespaces_in_one_pass, collect_garbage_less_often,
               cache_compiled_templates)
    return [patch.__name__ for patch in patches if not patch()]
