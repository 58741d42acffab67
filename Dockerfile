# syntax=docker/dockerfile:1
# One image, two roles: `docker run IMAGE api` (default) or `docker run IMAGE worker`.
# Both need FAZHI_REDIS_URL; see deploy/docker-compose.yml.

# --- builder: resolve the locked dependencies into a venv with uv -------------------------------
FROM python:3.11-slim-bookworm AS builder
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
# Dependencies first, so code changes do not invalidate this layer.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY fazhi ./fazhi
COPY service ./service
COPY workers ./workers
COPY openapi ./openapi
RUN uv sync --frozen --no-dev --no-editable

# --- runtime: slim, non-root, tini as PID 1 ---------------------------------------------------
FROM python:3.11-slim-bookworm AS runtime
# tini reaps zombies and forwards SIGTERM, so `docker stop` gives RQ its warm shutdown.
# tesseract + chi_sim: OCR for PDF pages without a text layer.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini tesseract-ocr tesseract-ocr-chi-sim \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin fazhi \
 && mkdir -p /var/lib/fazhi && chown fazhi:fazhi /var/lib/fazhi
COPY --from=builder --chown=fazhi:fazhi /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    FAZHI_DATA_DIR=/var/lib/fazhi
WORKDIR /app
USER fazhi
EXPOSE 8000
# The worker role's /metrics, /healthz and /readyz, when FAZHI_WORKER_METRICS_PORT=9100.
EXPOSE 9100
# Only meaningful for the api role; the compose file turns it off for workers.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
ENTRYPOINT ["tini", "--", "fazhi"]
CMD ["api", "--host", "0.0.0.0", "--port", "8000"]
