"""Progress of a run as events (run started, stage, dataset loaded, model built, suite validated), and the
CLI's live display of them on a terminal.

The flows call `emit`; whoever listens (the CLI's display, a test) gets each event in the thread that
emitted it. A listener's error never reaches the run. With the Dask runner, events of work done on the
cluster stay there: the display then shows the stages only.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Event:
    """One step of a run: `kind` is run, stage, dataset, model or suite."""

    kind: str
    name: str = ""
    done: int = 0
    total: int = 0
    detail: str = ""


LISTENERS: list[Callable[[Event], None]] = []
_lock = threading.Lock()


def emit(kind: str, name: str = "", done: int = 0, total: int = 0, detail: str = "") -> None:
    """Tell every listener; a failing listener is ignored (a display never breaks a run)."""
    event = Event(kind, name, done, total, detail)
    for listener in list(LISTENERS):
        with contextlib.suppress(Exception):
            listener(event)


@contextlib.contextmanager
def listening(listener: Callable[[Event], None]) -> Iterator[None]:
    """Call `listener` with every event emitted inside the block."""
    with _lock:
        LISTENERS.append(listener)
    try:
        yield
    finally:
        with _lock:
            LISTENERS.remove(listener)


STAGES = ("ingest", "build", "validate", "export", "publish")


@dataclass
class RunProgress:
    """What the live display shows, folded from the events."""

    command: str
    stages: tuple[str, ...] = STAGES
    started: float = field(default_factory=time.monotonic)
    run_id: str = ""
    run_folder: str = ""
    stage: str = ""
    stages_seen: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    observations: int = 0
    models_done: int = 0
    models_total: int = 0
    model: str = ""
    suites: int = 0
    expectations: int = 0
    failed_expectations: int = 0
    notes: list[str] = field(default_factory=list)

    def update(self, event: Event) -> None:
        if event.kind == "run":
            self.run_id, self.run_folder = event.name, event.detail
        elif event.kind == "stage":
            self.stage = event.name
            if event.name not in self.stages_seen:
                self.stages_seen.append(event.name)
        elif event.kind == "dataset":
            self.datasets.append(event.name)
            self.observations += event.done
        elif event.kind == "model":
            if event.done == 1:  # a build call starts: its models join the total
                self.models_total += event.total
            self.models_done += 1
            self.model = event.name
        elif event.kind == "suite":
            self.suites += 1
            self.expectations += event.total
            self.failed_expectations += event.total - event.done

    def lines(self) -> list[str]:
        """The display's lines: one per stage, the current one with its detail."""
        shown = []
        for stage in self.stages:
            if stage not in self.stages_seen:
                mark = " "
            elif stage == self.stage:
                mark = ">"
            else:
                mark = "✓"
            shown.append(f"{mark} {stage:<9}{self._detail(stage)}")
        return shown

    def _detail(self, stage: str) -> str:
        if stage == "ingest" and self.datasets:
            count = len(self.datasets)
            return f"{count} dataset{'s' * (count != 1)} loaded, {self.observations:,} observations"
        if stage == "build" and self.models_total:
            current = f": {self.model}" if self.stage == "build" else ""
            return f"models built {self.models_done}/{self.models_total}{current}"
        if stage == "validate" and self.suites:
            failed = f", {self.failed_expectations} not met" if self.failed_expectations else ""
            return f"{self.suites} suites, {self.expectations} expectations{failed}"
        return ""


class LiveDisplay:
    """The run's progress on the terminal (rich Live), redrawn a few times a second; warnings the run logs
    are printed above it, as they come."""

    def __init__(self, console, command: str, stages: tuple[str, ...] = STAGES) -> None:
        self.console = console
        self.progress = RunProgress(command, stages)
        self._live = None
        self._warnings = _ForwardedWarnings(self._print)

    def _render(self):
        from rich.text import Text

        elapsed = time.monotonic() - self.progress.started
        head = f"{self.progress.command} ({elapsed:.0f} s)"
        return Text("\n".join([head, *("  " + line for line in self.progress.lines())]))

    def _print(self, text: str) -> None:
        self.console.print(text, markup=False, soft_wrap=True)

    def note(self, text: str) -> None:
        """A line printed above the display (the Prefect API in use, a hint)."""
        self._print(text)

    def __enter__(self) -> LiveDisplay:
        from rich.live import Live

        self._live = Live(
            get_renderable=self._render, console=self.console, refresh_per_second=4, transient=True
        )
        self._live.__enter__()
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(listening(self.progress.update))
        for name in ("prefect.flow_runs", "prefect.task_runs"):
            logging.getLogger(name).addHandler(self._warnings)
        return self

    def __exit__(self, *exc) -> None:
        for name in ("prefect.flow_runs", "prefect.task_runs"):
            logging.getLogger(name).removeHandler(self._warnings)
        self._stack.close()
        self._live.__exit__(*exc)


class _ForwardedWarnings(logging.Handler):
    """Warnings of the run's loggers, one line each (errors are the CLI's one-line verdict, not repeated)."""

    def __init__(self, sink: Callable[[str], None]) -> None:
        super().__init__(logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno == logging.WARNING:
            self.sink(f"warning: {record.getMessage()}")


class WithoutTraceback(logging.Formatter):
    """A console formatter that leaves tracebacks out (they are in the run's log): a failure is one line
    on the terminal, not a copy of the same traceback per flow and task."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        if not (record.exc_info or record.stack_info):
            return self.inner.format(record)
        bare = logging.makeLogRecord(record.__dict__)
        bare.exc_info = bare.exc_text = bare.stack_info = None
        return self.inner.format(bare)


def console_tracebacks_off() -> None:
    """Give every console handler of Prefect's loggers a formatter without tracebacks (call after Prefect
    has configured logging, i.e. after it is imported)."""
    from prefect.logging.handlers import PrefectConsoleHandler

    loggers = [logging.getLogger()] + [
        logging.getLogger(name)
        for name in list(logging.root.manager.loggerDict)
        if name.startswith("prefect")
    ]
    for logger in loggers:
        for handler in getattr(logger, "handlers", []):
            if isinstance(handler, PrefectConsoleHandler) and not isinstance(
                handler.formatter, WithoutTraceback
            ):
                handler.setFormatter(WithoutTraceback(handler.formatter))
