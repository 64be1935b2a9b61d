"""System checks for async_handler, with stable ids.

E001 unknown ASYNC_HANDLER key            E002 bad THREADS value
E003 ATOMIC_REQUESTS with async views     E004 ADAPTIVE_THREADS not True/False
W001 WSGI_APPLICATION is a plain WSGI handler
W002 more threads than the DB allows      W003 DEBUG on under the gunicorn worker
W004 async_handler listed after django.contrib.staticfiles (runserver would not be ours)
W005 WSGI_APPLICATION wraps the application (the gunicorn worker refuses it)
E005 THREAD_PER_REQUEST not True/False
W006 a sync-only middleware wraps the chain (a parked thread per request)
E006 CLIENT_MAX_CONNECTIONS not a non-negative integer or None
E007 CHANNEL_LAYER_CONCURRENCY not a positive integer
W007 a channels_redis host times out before its blocking read (websocket/layercheck.py)
"""

from __future__ import annotations

import importlib.util
from typing import Any, Iterator

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core import checks
from django.core.handlers.wsgi import WSGIHandler
from django.utils.module_loading import import_string

from . import conf
from .websocket.layercheck import check_redis_layer_timeouts

TAG = "async_handler"
# Set by the worker at startup, so that W003 only fires where it matters.
UNDER_WORKER = False
# gunicorn's --threads and --workers, when the worker runs the checks.
WORKER_THREADS: int | None = None
WORKERS = 1


def _callbacks(patterns: Any) -> Iterator[Any]:
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            yield from _callbacks(pattern.url_patterns)
        elif getattr(pattern, "callback", None) is not None:
            yield pattern.callback


def async_views() -> list[str]:
    """Dotted names of the async views in the root URLconf."""
    from django.urls import get_resolver

    try:
        patterns = get_resolver().url_patterns
    except Exception:  # a broken URLconf is Django's own check to report
        return []
    found = []
    for callback in _callbacks(patterns):
        if iscoroutinefunction(callback):
            found.append(f"{callback.__module__}.{getattr(callback, '__qualname__', callback)}")
    return found


def threads() -> int:
    """Pool threads per worker process, as the handler will size the pool."""
    return int(conf.get("THREADS") or WORKER_THREADS or 16)


@checks.register(TAG)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for key in conf.unknown_keys():
        errors.append(checks.Error(
            f"Unknown ASYNC_HANDLER setting {key!r}.",
            hint=f"Known settings: {', '.join(sorted(conf.DEFAULTS))}.", id="async_handler.E001"))
    value = conf.get("THREADS")
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        errors.append(checks.Error("ASYNC_HANDLER['THREADS'] must be a positive integer or None.",
                                   id="async_handler.E002"))
    if not isinstance(conf.get("ADAPTIVE_THREADS"), bool):
        errors.append(checks.Error("ASYNC_HANDLER['ADAPTIVE_THREADS'] must be True or False.",
                                   id="async_handler.E004"))
    limit = conf.get("CLIENT_MAX_CONNECTIONS")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        errors.append(checks.Error(
            "ASYNC_HANDLER['CLIENT_MAX_CONNECTIONS'] must be a non-negative integer or None.",
            id="async_handler.E006"))
    concurrency = conf.get("CHANNEL_LAYER_CONCURRENCY")
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        errors.append(checks.Error(
            "ASYNC_HANDLER['CHANNEL_LAYER_CONCURRENCY'] must be a positive integer.",
            id="async_handler.E007"))
    if not isinstance(conf.get("THREAD_PER_REQUEST"), bool):
        errors.append(checks.Error("ASYNC_HANDLER['THREAD_PER_REQUEST'] must be True or False.",
                                   id="async_handler.E005"))
    return errors


@checks.register(TAG)
def check_wrapping_middleware(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from django.utils.module_loading import import_string

    from .core.chain import _is_hook_style

    messages: list[checks.CheckMessage] = []
    for path in settings.MIDDLEWARE:
        try:
            middleware = import_string(path)
        except ImportError:
            continue  # Django's own checks and startup report it
        if _is_hook_style(middleware) or getattr(middleware, "async_capable", False):
            continue
        messages.append(checks.Warning(
            f"{path} is sync-only and wraps the rest of the chain in its own __call__, so "
            "each request through it blocks a thread until its response is ready. These "
            "threads are parked apart from the pool's THREADS and the chain below still "
            "borrows pool threads only as it needs them, but each in-flight request costs "
            "an OS thread, plus a DB connection while the middleware itself, or a "
            "transaction it opened, uses the database.",
            hint="Make it async-capable (Django's docs: 'Asynchronous support' for "
                 "middleware), or a MiddlewareMixin with process_request/process_response.",
            id="async_handler.W006"))
    return messages


@checks.register(TAG, checks.Tags.urls)
def check_async_views(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    views = async_views()
    if not views:
        return []
    messages: list[checks.CheckMessage] = []
    atomic = [alias for alias, db in settings.DATABASES.items() if db.get("ATOMIC_REQUESTS")]
    if atomic:
        messages.append(checks.Error(
            f"ATOMIC_REQUESTS is on for {', '.join(atomic)} and the URLconf has async views "
            f"({views[0]}{', ...' if len(views) > 1 else ''}); Django refuses them at run time.",
            hint="Turn ATOMIC_REQUESTS off and use transaction.atomic() in sync code, "
                 "or make those views sync.", id="async_handler.E003"))
    wsgi = getattr(settings, "WSGI_APPLICATION", None)
    # The worker serves a plain handler with AsyncDjangoApplication and says so itself.
    if wsgi and not UNDER_WORKER and _is_plain_wsgi(wsgi):
        messages.append(checks.Warning(
            f"WSGI_APPLICATION {wsgi!r} builds Django's plain WSGI handler, which runs each "
            "async view on a throwaway event loop with no concurrency.",
            hint="In that wsgi.py use `application = get_async_application()` from "
                 "async_handler, and serve it with -k async_handler.worker.AiohttpWorker.",
            id="async_handler.W001"))
    return messages


def _is_plain_wsgi(dotted: str) -> bool:
    module = dotted.rpartition(".")[0]
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return False
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return False
    with open(spec.origin, encoding="utf-8") as fh:
        source = fh.read()
    return "get_wsgi_application" in source and "get_async_application" not in source \
        and "AsyncDjangoApplication" not in source


@checks.register(TAG)
def check_wrapped_application(app_configs: Any = None,
                              **kwargs: Any) -> list[checks.CheckMessage]:
    dotted = getattr(settings, "WSGI_APPLICATION", None)
    if not dotted or UNDER_WORKER:  # the worker checks the application it loaded itself
        return []
    try:
        application = import_string(dotted)
    except Exception:  # runserver and gunicorn report a wsgi.py that fails to import
        return []
    if isinstance(application, WSGIHandler):
        return []
    name = getattr(application, "__qualname__", None) or type(application).__qualname__
    return [checks.Warning(
        f"WSGI_APPLICATION {dotted!r} is {name}, not Django's handler: a WSGI wrapper "
        "around the application, which async_handler's gunicorn worker refuses to serve.",
        hint="Serve get_async_application() itself; WSGI wrappers such as "
             "WhiteNoise(application) have middleware forms to use instead.",
        id="async_handler.W005")]


def _connection_limit(alias: str, db: dict[str, Any], databases: Any) -> int | None:
    pool = (db.get("OPTIONS") or {}).get("pool")
    if isinstance(pool, dict) and isinstance(pool.get("max_size"), int):
        return int(pool["max_size"])
    if not databases or alias not in databases:
        return None  # asking the server needs `manage.py check --database`
    from django.db import connections

    queries = {"postgresql": "SHOW max_connections",
               "mysql": "SELECT @@max_connections"}
    query = queries.get(connections[alias].vendor)
    if query is None:
        return None
    with connections[alias].cursor() as cursor:
        cursor.execute(query)
        return int(cursor.fetchone()[0])


@checks.register(TAG, checks.Tags.database)
def check_pool_size(app_configs: Any = None, databases: Any = None,
                    **kwargs: Any) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    for alias, db in settings.DATABASES.items():
        limit = _connection_limit(alias, db, databases)
        wanted = threads() * WORKERS
        if limit is not None and wanted > limit:
            messages.append(checks.Warning(
                f"async_handler may hold {wanted} connections to database {alias!r} "
                f"({WORKERS} worker(s) x {threads()} threads, one connection per thread); "
                f"it allows {limit}.",
                hint="Lower ASYNC_HANDLER['THREADS'] (or gunicorn's --threads), or raise the "
                     "database's limit.", id="async_handler.W002"))
    return messages


@checks.register(TAG, deploy=False)
def check_debug_under_worker(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if UNDER_WORKER and settings.DEBUG:
        return [checks.Warning(
            "DEBUG is on under the gunicorn worker: error pages leak settings and "
            "Django keeps every SQL query in memory.",
            hint="Set DEBUG = False in production.", id="async_handler.W003")]
    return []


@checks.register(TAG)
def check_app_order(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    apps = list(settings.INSTALLED_APPS)
    ours = [i for i, a in enumerate(apps) if a in ("async_handler", "async_handler.apps."
                                                     "AsyncHandlerConfig")]
    static = [i for i, a in enumerate(apps) if a.startswith("django.contrib.staticfiles")]
    if ours and static and ours[0] > static[0]:
        return [checks.Warning(
            "'async_handler' comes after 'django.contrib.staticfiles' in INSTALLED_APPS, so "
            "`manage.py runserver` is staticfiles' WSGI server, not async_handler's.",
            hint="Move 'async_handler' above 'django.contrib.staticfiles'.",
            id="async_handler.W004")]
    return []


checks.register(check_redis_layer_timeouts, TAG)


def run_worker_checks(threads: int | None = None, workers: int = 1) -> list[checks.CheckMessage]:
    """The checks the gunicorn worker runs at boot, where manage.py check never runs."""
    global UNDER_WORKER, WORKER_THREADS, WORKERS
    UNDER_WORKER, WORKER_THREADS, WORKERS = True, threads, workers
    return checks.run_checks(tags=[TAG])
