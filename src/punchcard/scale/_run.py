"""Running the tasks of a job (one per partition): in this process, or on ``dask.distributed``.

Dask is imported only when a job runs on it, so that ``import punchcard.scale`` stays cheap.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import attrs

from ..errors import InvalidValueError
from .progress import Progress

__all__ = ["Cluster", "run_tasks"]

#: How long to try to reach a scheduler before giving up (an ``OSError``).
CONNECT_TIMEOUT = "20s"
T = TypeVar("T")
R = TypeVar("R")


def _workers(_inst: object, _attr: object, value: int | None) -> None:
    if value is not None and (type(value) is not int or value < 0):
        raise InvalidValueError("workers", f"must be a whole number >= 0 or None, got {value!r}")


@attrs.frozen
class Cluster:
    """Where the partitions of a job run.

    - ``processes=False`` (or ``workers=0``): one after the other in this process, without Dask
      (the reference answer);
    - *scheduler* given (``"tcp://10.0.0.5:8786"``): on that Dask cluster;
    - otherwise on a new ``LocalCluster`` of *workers* processes of one thread each (default:
      the number of CPUs), closed at the end.

    A failed task is retried *retries* times (on Dask).

    >>> Cluster(workers=0).in_process, Cluster(processes=False).in_process, Cluster().in_process
    (True, True, False)
    """

    workers: int | None = attrs.field(default=None, validator=_workers)
    scheduler: str | None = None
    processes: bool = True
    retries: int = 2

    @property
    def in_process(self) -> bool:
        return not self.processes or (self.workers == 0 and self.scheduler is None)

    def describe(self) -> str:
        """``"in process"``, ``"N local workers"`` or the scheduler address."""
        if self.in_process:
            return "in process"
        if self.scheduler is not None:
            return self.scheduler
        n = self.workers or os.cpu_count() or 1
        return f"{n} local worker{'s' if n > 1 else ''}"


def run_tasks(
    fn: Callable[[T], R],
    tasks: Sequence[T],
    *,
    cluster: Cluster,
    label: str,
    progress: bool,
) -> list[R]:
    """``[fn(t) for t in tasks]``, where *cluster* says; with *progress*, the tasks done are
    shown as ``LABEL: DONE/TOTAL partitions`` on standard error if it is a terminal.

    On Dask, *fn* must be a module-level function and the tasks must pickle.
    """
    bar = Progress(label, len(tasks), quiet=not progress)
    results = _run(fn, tasks, cluster, bar)
    bar.finish()
    return results


def _run(fn: Callable[[T], R], tasks: Sequence[T], cluster: Cluster, progress: Progress) -> list[R]:
    if cluster.in_process:
        results = []
        for task in tasks:
            results.append(fn(task))
            progress.advance()
        return results
    import distributed

    dask: Any = distributed  # (its API is not annotated)
    local = None
    if cluster.scheduler is not None:
        client = dask.Client(cluster.scheduler, timeout=CONNECT_TIMEOUT)
    else:
        local = dask.LocalCluster(
            n_workers=cluster.workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            # The scheduler's HTTP server on a free port: with None it still takes 8787, and
            # warns when another cluster holds it.
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
        client = dask.Client(local)
    try:
        futures = client.map(fn, tasks, pure=False, retries=cluster.retries)
        try:
            for _done in dask.as_completed(futures):
                progress.advance()
            gathered: list[R] = client.gather(futures)
        finally:
            client.cancel(futures)
        return gathered
    finally:
        client.close()
        if local is not None:
            local.close()
