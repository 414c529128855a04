"""The ingest flow: land (or download) each dataset's extracts and load them into raw.<dataset>; and the
ingest command's flow, which loads given files and publishes with the marts carried over."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from prefect import flow

from clusterobs import loads, progress, publish, run_records, warehouse
from clusterobs.flows import tasks
from clusterobs.flows.runners import dask_scheduler, task_runner
from clusterobs.landing import LandedFile, remove_interrupted_writes
from clusterobs.registry import DatasetSpec, checked_dataset_code, declared_schema
from clusterobs.run_config import RunConfig, resolve_run_config
from clusterobs.run_summary import RunSummary, finish, log_failure, run_log
from clusterobs.settings import Settings
from clusterobs.transforms.readers.conformance import DeclaredSchema


def downloaded_extracts(config: RunConfig, db_path: Path) -> dict[str, list[LandedFile]]:
    """Landed Eurostat extracts per dataset: downloads run concurrently, each reused from Prefect's
    cache when its request and Eurostat's `updated` stamp are unchanged."""
    settings, api = config.settings, config.settings.eurostat
    wanted = {name: config.registry[name] for name in config.plan.loaded}
    requests = tasks.eurostat_requests(db_path, wanted, settings)
    stamp = tasks.eurostat_updated_stamp.with_options(
        retries=api.task_retries,
        retry_delay_seconds=api.task_retry_delay_seconds,
        timeout_seconds=api.timeout_seconds * (api.retries + 1),
    )
    download = tasks.download_dataset.with_options(
        retries=api.task_retries,
        retry_delay_seconds=api.task_retry_delay_seconds,
        timeout_seconds=api.task_timeout_seconds,
        result_storage=settings.download_cache_path,
    )
    stamps = {name: stamp.submit(name, api) for name in requests}
    futures = {
        name: download.submit(spec, geo_codes, stamps[name], api, settings.landing_path)
        for name, (spec, geo_codes) in requests.items()
    }
    extracts = {}
    for name, future in futures.items():
        files = future.result()
        if not all(f.path.is_file() for f in files):  # a cached download whose files were removed
            spec, geo_codes = requests[name]
            files = (
                download.with_options(refresh_cache=True)
                .submit(spec, geo_codes, stamps[name], api, settings.landing_path)
                .result()
            )
        extracts[name] = files
    return extracts


def collect_extracts(config: RunConfig, db_path: Path) -> dict[str, list[LandedFile]]:
    """Landed extract files per dataset, from the bundled demo, a folder, or the Eurostat API."""
    if config.settings.source == "eurostat":
        return downloaded_extracts(config, db_path)
    return landed_files(config.plan.files, config.settings)


def declared_schemas(registry: dict[str, DatasetSpec], datasets) -> dict[str, DeclaredSchema]:
    """What the registry declares for each of `datasets` it knows (files of others are read as they are)."""
    return {name: declared_schema(registry[name]) for name in datasets if name in registry}


def landed_files(files: dict[str, list[Path]], settings: Settings) -> dict[str, list[LandedFile]]:
    """Local extract files per dataset, copied into the landing folder."""
    return {
        name: tasks.land_files(name, paths, settings.landing_path) for name, paths in files.items()
    }


@flow(name="clusterobs-ingest", log_prints=True)
def ingest(
    settings: Settings,
    db_path: Path,
    run_id: str,
    work_dir: Path,
    files: dict[str, list[Path]] | None = None,
    config: RunConfig | None = None,
) -> dict[str, loads.DatasetLoad]:
    """Land (or download) each dataset's extracts and load them into raw.<dataset>, one transaction each.

    `files`: these extract files per dataset instead of the settings' source, loaded as they are (the other
    datasets are left as they are). Otherwise the run's `config` (default: resolved from `settings`): its
    source plan says what to load, every file is held against what the registry declares for its dataset
    (transforms.conformance), and each dataset the plan goes without is recorded as absent and its raw
    table emptied. With the thread runner,
    loads run concurrently in this process (each on its own tables; gzip decompression is
    single-threaded, so two loads keep both cores busy), largest first. With Dask, the extracts are
    parsed on the workers into Parquet in the run folder, and this process, the warehouse's one writer,
    loads those.
    """
    if files:
        extracts, declared = landed_files(files, settings), {}
    else:
        config = config or resolve_run_config(settings)
        extracts = collect_extracts(config, db_path)
        declared = declared_schemas(config.registry, extracts)
    by_size = sorted(extracts, key=lambda d: -sum(f.bytes for f in extracts[d]))
    memory = settings.duckdb_memory_limit
    if settings.task_runner == "dask":
        loads = tasks.unchanged_loads(db_path, extracts, declared)
        exchange = work_dir / "exchange"
        parsed = {
            dataset: [
                tasks.parse_extract.submit(
                    landed, dataset, number, exchange, memory, declared.get(dataset)
                )
                for number, landed in enumerate(extracts[dataset])
            ]
            for dataset in by_size
            if dataset not in loads
        }
        for dataset, futures in parsed.items():
            parts = [future.result() for future in futures]
            loads[dataset] = tasks.load_parsed(db_path, dataset, parts, run_id, memory)
        shutil.rmtree(exchange, ignore_errors=True)
    else:
        futures = {
            dataset: tasks.load_dataset.submit(
                db_path, dataset, extracts[dataset], run_id, memory, declared.get(dataset)
            )
            for dataset in by_size
        }
        loads = {dataset: future.result() for dataset, future in futures.items()}
    loads = {dataset: loads[dataset] for dataset in extracts}
    if config is not None:
        tasks.record_run_datasets(db_path, run_id, loads, config.plan.absent, config.registry)
    return loads


@flow(name="clusterobs-ingest-files", log_prints=True)
def ingest_files(
    paths: list[Path],
    dataset: str | None = None,
    settings: Settings | None = None,
    take_lock: bool = True,
) -> RunSummary:
    """Load extract files into the warehouse's raw layer and publish; the marts and Parquet are carried
    over. `take_lock` as for `pipeline`."""
    settings = settings or Settings()
    if not take_lock:
        return _ingest_files(paths, dataset, settings)
    with publish.run_lock(
        settings.output_path, settings.run_lock_timeout_seconds, "clusterobs ingest"
    ):
        return _ingest_files(paths, dataset, settings)


def _ingest_files(paths: list[Path], dataset: str | None, settings: Settings) -> RunSummary:
    started = time.perf_counter()
    run = publish.start_run(settings.output_path)
    progress.emit("run", run.run_id, detail=str(run.work_dir))
    summary = RunSummary(run_id=run.run_id)
    try:
        with run_log(run.work_dir / publish.RUN_LOG):
            _ingest_into(run, paths, dataset, settings, summary)
        with summary.timed("publish"):
            carry_over_parquet(settings.output_path, run.parquet)
            tasks.finish_run(run.warehouse, run.run_id)
            published = publish.publish(run, settings.keep_runs, settings.keep_failed_runs)
    except BaseException as exc:
        log_failure(run, exc)
        publish.mark_failed(run, exc, settings.keep_failed_runs)
        raise
    finish(summary, settings, published, started)
    return summary


def _ingest_into(
    run: publish.RunPaths,
    paths: list[Path],
    dataset: str | None,
    settings: Settings,
    summary: RunSummary,
) -> None:
    """Load `paths` into the run's copy of the warehouse (the ingest command's work)."""
    from clusterobs.transforms.readers.extracts import declared_dataset

    with summary.timed("ingest"):
        remove_interrupted_writes(settings.landing_path)
        publish.seed_warehouse(run)
        by_dataset: dict[str, list[Path]] = {}
        for path in paths:
            name = checked_dataset_code(dataset or declared_dataset(path))
            by_dataset.setdefault(name, []).append(path)
        with warehouse.connect(run.warehouse) as con:
            run_records.record_run_started(con, run.run_id, "ingest")
        with dask_scheduler(settings) as dask_address:
            ingest_flow = ingest.with_options(task_runner=task_runner(dask_address))
            for load in ingest_flow(
                settings, run.warehouse, run.run_id, run.work_dir, files=by_dataset
            ).values():
                summary.record(load)


def carry_over_parquet(output_dir: Path, target: Path) -> None:
    """Hard-link the published Parquet export into a new run folder (files are never modified in place)."""
    current = output_dir / "current" / publish.PARQUET_DIR
    if current.is_dir():
        shutil.copytree(current, target, copy_function=os.link, dirs_exist_ok=True)
    target.mkdir(parents=True, exist_ok=True)
