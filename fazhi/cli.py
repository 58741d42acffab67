"""The ``fazhi`` command: serve, api, worker, extract, openapi, eval.

Settings are read and validated before any subcommand runs; a bad FAZHI_* value prints one
line and exits 2 (argparse's own code for usage errors), never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from fazhi.settings import Settings, SettingsError, get_settings

EXIT_USAGE = 2
OPENAPI_PATH = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"
NO_REDIS_URL = (
    "FAZHI_REDIS_URL is not set; `fazhi {cmd}` needs a shared Redis, e.g. "
    "FAZHI_REDIS_URL=redis://127.0.0.1:6379/0 (or run `fazhi serve`, which starts its own)"
)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fazhi", description="Rule-of-law report extraction service.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("serve", help="API + workers (+ a private Redis when FAZHI_REDIS_URL is unset)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000, help="0 picks a free port (default 8000)")
    s.add_argument("--workers", type=_non_negative, default=None,
                   help="worker processes (default FAZHI_WORKERS, 2; 0 = API only)")  # fmt: skip

    a = sub.add_parser("api", help="the API alone, against FAZHI_REDIS_URL (containers)")
    a.add_argument("--host", default="127.0.0.1")
    a.add_argument("--port", type=int, default=8000)

    w = sub.add_parser("worker", help="RQ workers against FAZHI_REDIS_URL (scale out)")
    w.add_argument("--count", type=_positive, default=1, help="worker processes (default 1)")

    e = sub.add_parser("extract", help="run the pipeline locally, no Redis; JSON Lines on stdout")
    e.add_argument("files", nargs="+", metavar="FILE", help="text or PDF (decided by content); - is stdin")
    e.add_argument("--pretty", action="store_true", help="indent each result (no longer one per line)")

    o = sub.add_parser("openapi", help="write openapi/openapi.json from the app")
    o.add_argument("--check", action="store_true", help="exit 1 if the committed file is stale")
    o.add_argument("--output", type=Path, default=OPENAPI_PATH, help=argparse.SUPPRESS)

    v = sub.add_parser("eval", help="score the pipeline on a directory of labelled reports")
    v.add_argument("dir")
    v.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)

    from fazhi import keys  # noqa: PLC0415 - `fazhi keys create|revoke|list`

    keys.add_parser(sub)
    return p


def _non_negative(value: str) -> int:
    n = int(value)
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {n}")
    return n


def _positive(value: str) -> int:
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {n}")
    return n


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"fazhi: error: {message}", file=sys.stderr)
    return code


def _configure_logging(settings: Settings) -> None:
    level = logging.getLevelNamesMapping().get(settings.log_level.upper())
    if level is None:
        raise SettingsError(
            f"FAZHI_LOG_LEVEL={settings.log_level!r} is not valid: expected DEBUG, INFO, WARNING or ERROR"
        )
    from fazhi.observability import logs  # noqa: PLC0415

    logs.configure(level, settings.log_format, sys.stderr)  # JSON unless stderr is a terminal


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = get_settings()
        _configure_logging(settings)
    except SettingsError as exc:
        return _fail(str(exc))
    handler = COMMANDS[args.command]
    try:
        return handler(args, settings)
    except SettingsError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130


def _cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from fazhi.embedded_redis import EmbeddedRedisError  # noqa: PLC0415
    from fazhi.observability import multiproc  # noqa: PLC0415
    from fazhi.serve import ServeError, serve  # noqa: PLC0415

    # Before the app and the workers import prometheus_client: they all write here, /metrics adds up.
    multiproc.prepare(settings.data_dir)
    workers = settings.workers if args.workers is None else args.workers
    try:
        _require_keys_off_loopback(settings, args.host)
        return serve(settings, host=args.host, port=args.port, workers=workers)
    except (ServeError, EmbeddedRedisError) as exc:
        return _fail(str(exc), 1)
    except OSError as exc:  # e.g. an unwritable FAZHI_DATA_DIR
        return _fail(f"{exc.strerror}: {exc.filename}" if exc.filename else str(exc), 1)


def _cmd_api(args: argparse.Namespace, settings: Settings) -> int:
    from fazhi.serve import ServeError, serve  # noqa: PLC0415

    if settings.redis_url is None:
        return _fail(NO_REDIS_URL.format(cmd="api"))
    try:
        _require_keys_off_loopback(settings, args.host)
        return serve(settings, host=args.host, port=args.port, workers=0, embedded=False)
    except ServeError as exc:
        return _fail(str(exc), 1)


def _require_keys_off_loopback(settings: Settings, host: str) -> None:
    """Without API keys anyone reaching the port could read every report: loopback only."""
    from fazhi.keys import KeysError, require_keys_for_bind  # noqa: PLC0415
    from fazhi.serve import ServeError  # noqa: PLC0415

    try:
        require_keys_for_bind(settings, host)
    except KeysError as exc:
        raise ServeError(str(exc)) from None


def _cmd_keys(args: argparse.Namespace, settings: Settings) -> int:
    from fazhi.keys import main as keys_main  # noqa: PLC0415

    return keys_main(args, settings)


def _cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    if settings.redis_url is None:
        return _fail(NO_REDIS_URL.format(cmd="worker"))
    from fazhi.observability import process  # noqa: PLC0415

    process.serve_worker_metrics(settings)  # before the workers start: they write where it reads
    if args.count == 1:
        from workers.worker import run_worker  # noqa: PLC0415

        run_worker(settings)
        return 0
    return _run_pool(args.count, settings)


def _run_pool(count: int, settings: Settings) -> int:
    from fazhi.supervisor import WorkerPool  # noqa: PLC0415

    # The children write metrics to this process's directory; only this process serves the port.
    env = {**os.environ, "FAZHI_WORKER_METRICS_PORT": "0"}
    pool = WorkerPool(count, env, grace_seconds=settings.shutdown_grace_seconds)
    stopping: list[int] = []

    def on_signal(sig: int, _frame: object) -> None:
        if stopping:
            pool.kill()
        stopping.append(sig)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    pool.start()
    while not stopping:
        time.sleep(0.5)
        pool.check()
    pool.stop()
    return 0


def _cmd_extract(args: argparse.Namespace, settings: Settings) -> int:
    from fazhi.local import extract_files  # noqa: PLC0415

    return extract_files(args.files, settings, pretty=args.pretty, out=sys.stdout.buffer)


def _cmd_openapi(args: argparse.Namespace, settings: Settings) -> int:
    from service.openapi import generate  # noqa: PLC0415

    spec = generate()
    path: Path = args.output
    current = path.read_bytes() if path.exists() else None
    if args.check:
        if current != spec:
            return _fail(f"{path} is out of date; run `uv run fazhi openapi`", 1)
        print(f"{path} is current")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    if current != spec:
        path.write_bytes(spec)
        print(f"wrote {path}")
    else:
        print(f"{path} is already current")
    return 0


def _cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from workers.evaluate import main as evaluate  # noqa: PLC0415

    return evaluate([args.dir, *args.rest])


COMMANDS = {
    "serve": _cmd_serve,
    "api": _cmd_api,
    "worker": _cmd_worker,
    "extract": _cmd_extract,
    "openapi": _cmd_openapi,
    "eval": _cmd_eval,
    "keys": _cmd_keys,
}


if __name__ == "__main__":
    sys.exit(main())
