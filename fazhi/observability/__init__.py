"""Operations: Prometheus metrics, structured logs with request/job ids, optional tracing.

``metrics`` is multiprocess-safe: the API and every worker write to ``PROMETHEUS_MULTIPROC_DIR``
and ``GET /metrics`` adds them up. ``multiproc.prepare`` must run before the first import of
``prometheus_client`` in a process tree (prometheus_client picks its value store at import).
"""
