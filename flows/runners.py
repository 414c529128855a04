"""The task runner of a run's flows: threads of this process, or a Dask cluster (task_runner=dask)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prefect.task_runners import ThreadPoolTaskRunner

from clusterobs.settings import Settings


@contextmanager
def dask_scheduler(settings: Settings) -> Iterator[str | None]:
    """The run's Dask scheduler address (task_runner=dask): settings.dask_address, else a local cluster
    started for the run (one for all its flows); None with the thread runner."""
    if settings.task_runner != "dask":
        yield None
    elif settings.dask_address:
        yield settings.dask_address
    else:
        from distributed import LocalCluster  # optional: uv sync --extra dask

        with LocalCluster(
            n_workers=settings.dask_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster:
            yield cluster.scheduler_address


def task_runner(dask_address: str | None):
    """Threads of this process, or the Dask cluster at `dask_address`."""
    if dask_address is None:
        return ThreadPoolTaskRunner()
    from prefect_dask import DaskTaskRunner

    return DaskTaskRunner(address=dask_address)
