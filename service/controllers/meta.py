"""Catalogue and health endpoints."""

from __future__ import annotations

from litestar import Controller, get
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency

from service.backend import Backend
from service.errors import NoWorkers
from service.openapi_docs import problems
from service.schemas import Health, IndicatorInfo, Ready


class IndicatorController(Controller):
    path = "/v1/indicators"
    tags = ["catalogue"]

    @get("/", operation_id="listIndicators", summary="The indicator catalogue: ids, names, units, 纲要 system", responses=problems(401))
    async def list_indicators(self) -> list[IndicatorInfo]:
        return await sync_to_thread(_catalogue)


def _catalogue() -> list[IndicatorInfo]:
    import msgspec

    from workers.pipeline.catalogue import load_catalogue

    return [msgspec.convert(entry, IndicatorInfo, from_attributes=True) for entry in load_catalogue()]


class HealthController(Controller):
    path = "/"
    tags = ["health"]

    @get("/healthz", operation_id="health", summary="The process is up")
    async def healthz(self) -> Health:
        return Health(status="ok")

    @get("/readyz", operation_id="ready", summary="Redis answers and at least one worker serves the queue", responses=problems(503))
    async def readyz(self, backend: NamedDependency[Backend]) -> Ready:
        await backend.aredis.ping()
        workers = await sync_to_thread(_live_workers, backend)
        if workers == 0:
            raise NoWorkers(f"no live worker is serving queue {backend.queue.name!r}")
        return Ready(status="ready", workers=workers)


def _live_workers(backend: NamedDependency[Backend]) -> int:
    from rq import Worker

    return len(Worker.all(connection=backend.sredis, queue=backend.queue))
