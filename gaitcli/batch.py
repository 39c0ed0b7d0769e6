"""Many walks at once: in this process, in local worker processes (joblib) or on a Dask cluster.

>>> from gaitcli.batch import Failure, embed_many
>>> outcomes = embed_many(["a.mp4", "b.mp4", "c.json"], jobs=2)      # this machine, 2 worker processes
>>> outcomes = embed_many(paths, scheduler="tcp://10.0.0.5:8786")    # a Dask distributed cluster
>>> [o.vector if not isinstance(o, Failure) else o.error for o in outcomes]

Every input is processed and the outcomes come back in input order, whichever worker finished
first: an :class:`~gaitcli.api.EmbedResult`, or a :class:`Failure` (the one-line message and
the exit code the CLI gives it) for an input that could not be embedded — a bad input does not
stop the batch, and neither does a worker that dies.

Each worker runs the same pipeline as :class:`~gaitcli.api.Embedder` with a share of the
machine's cores: ``cores // concurrent tasks on that machine`` threads for the pose engine
(LiteRT's ``num_threads``), OpenCV and the BLAS/OpenMP pools (threadpoolctl), so that N
workers do not each start one thread per core. The vectors are those of a run in one process
(the pipeline is deterministic; thread counts do not change its arithmetic beyond float
rounding, which tests bound). A Dask worker must have the same gaitcli and models installed
and see the inputs under the same paths (a shared file system); the model fingerprint of every
result is checked against this machine's.
"""

from __future__ import annotations

import os
import threading
import traceback
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from gaitcli.errors import GaitcliError, InputError, ModelError, describe_error


@dataclass(frozen=True)
class Failure:
    """One input that could not be processed: its message (one line, naming the input) and the
    exit code the CLI gives it (see :mod:`gaitcli.errors`)."""

    input: str
    error: str
    exit_code: int
    detail: str = ""  # the traceback of an unexpected error (shown with --debug)

    @classmethod
    def of(cls, path: str | os.PathLike, exc: BaseException) -> "Failure":
        """The failure of ``path`` with ``exc``."""
        message, code = describe_error(exc)
        name = str(path)
        if name not in message:
            message = f"{name}: {message}"
        detail = "" if isinstance(exc, GaitcliError) else "".join(traceback.format_exception(exc))
        return cls(name, message, code, detail)

    def as_dict(self) -> dict[str, Any]:
        """The JSON record of the failure: ``input``, ``error``, ``exit_code``."""
        return {"input": self.input, "error": self.error, "exit_code": self.exit_code}


#: Called after each input with (its index, its outcome), in the order they finish.
OnDone = Callable[[int, Any], None]
#: Called while a video is read in this process with (input index, frames done, frames total or None).
OnFrames = Callable[[int, int, "int | None"], None]


def available_cpus() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def worker_threads(concurrent: int, cpus: int | None = None) -> int:
    """Threads for each of ``concurrent`` tasks sharing a machine with ``cpus`` cores (at least 1)."""
    return max(1, (cpus or available_cpus()) // max(1, concurrent))


def embed_many(
    paths: Sequence[str | os.PathLike],
    *,
    jobs: int = 1,
    scheduler: Any = None,
    track: int | None = None,
    on_done: OnDone | None = None,
    on_frames: OnFrames | None = None,
    **options: Any,
) -> list:
    """Embed every walk in ``paths``: an :class:`~gaitcli.api.EmbedResult` or a :class:`Failure`
    per input, in input order.

    ``jobs`` > 1 runs that many worker processes on this machine (joblib); ``scheduler`` (a Dask
    scheduler address such as ``"tcp://host:8786"``, or a ``distributed.Client``) runs the work
    on that cluster instead. ``options`` are :class:`~gaitcli.api.Embedder`'s arguments
    (``num_threads`` is set per worker). Errors that concern the whole run (a gait checkpoint
    that does not load, an unreachable scheduler) are raised; errors of one input are its
    :class:`Failure`.
    """
    paths = [Path(p) for p in paths]
    if jobs < 1:
        raise InputError(f"--jobs {jobs}: give 1 or more worker processes")
    from gaitcli.api import shared_embedder

    local = shared_embedder(**options)  # a gait checkpoint that cannot be used fails here, once
    if scheduler is not None:
        return _on_dask(paths, scheduler, track, options, local.gait.fingerprint, on_done)
    if jobs > 1 and len(paths) > 1:
        return _on_joblib(paths, min(jobs, len(paths)), track, options, on_done)
    outcomes = []
    for index, path in enumerate(paths):
        progress = (lambda done, total, i=index: on_frames(i, done, total)) if on_frames else None
        try:
            outcome = local.embed(path, track=track, progress=progress)
        except Exception as exc:  # one input's failure, whatever it is, does not end the batch
            outcome = Failure.of(path, exc)
        outcomes.append(outcome)
        if on_done is not None:
            on_done(index, outcome)
    return outcomes


# --- in a worker ---------------------------------------------------------------------------------

_WORKER = threading.local()  # per thread: a Dask worker may run several tasks at once


def _worker_embedder(options: dict, threads: int):
    """This worker thread's Embedder for ``options``, with ``threads`` threads everywhere."""
    if getattr(_WORKER, "threads", None) != threads:
        import cv2
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=threads)  # BLAS / OpenMP pools of this process
        cv2.setNumThreads(threads)
        _WORKER.threads = threads
        _WORKER.embedders = {}
    key = tuple(sorted((k, str(v)) for k, v in options.items()))
    if key not in _WORKER.embedders:
        from gaitcli.api import Embedder

        _WORKER.embedders[key] = Embedder(**{**options, "num_threads": threads})
    return _WORKER.embedders[key]


def _embed_task(index: int, path: str, track: int | None, options: dict, threads: int | dict[str, int]):
    """One input in a worker: ``(index, EmbedResult or Failure)``; ``threads`` may map Dask worker
    addresses to their threads."""
    try:
        if isinstance(threads, dict):
            from distributed import get_worker

            threads = threads.get(get_worker().address, 1)
        return index, _worker_embedder(options, threads).embed(path, track=track)
    except Exception as exc:
        return index, Failure.of(path, exc)


# --- local worker processes ----------------------------------------------------------------------


def _on_joblib(paths: list[Path], jobs: int, track, options: dict, on_done: OnDone | None) -> list:
    """Worker processes on this machine. A worker that dies (killed, crashed, out of memory) takes
    its pool down; the unfinished inputs then run in a fresh pool, and when a pool dies before
    finishing anything, its first input runs alone: an input that kills a worker by itself is a
    failure, the others are embedded."""
    from joblib import Parallel, delayed

    threads = worker_threads(jobs)
    outcomes: list = [None] * len(paths)
    death: list[BaseException] = []

    def finished(index: int, outcome) -> None:
        outcomes[index] = outcome
        if on_done is not None:
            on_done(index, outcome)

    def run(indices: list[int]) -> bool:
        """Embed ``indices``; False when a worker died first."""
        tasks = (delayed(_embed_task)(i, str(paths[i]), track, options, threads) for i in indices)
        try:
            for index, outcome in Parallel(n_jobs=max(2, min(jobs, len(indices))), return_as="generator_unordered",
                                           batch_size=1)(tasks):
                finished(index, outcome)
        except Exception as exc:  # joblib's TerminatedWorkerError (or the like): the pool is gone
            death.append(exc)
            return False
        return True

    alone = False
    while (remaining := [i for i, o in enumerate(outcomes) if o is None]):
        if alone:  # the last pool finished nothing: find out whether its first input kills workers
            alone = False
            if not run(remaining[:1]):
                finished(remaining[0], Failure(str(paths[remaining[0]]), f"{paths[remaining[0]]}: the worker process "
                                               "embedding it died (crashed, killed or out of memory)", 1, repr(death[-1])))
            continue
        before = len(remaining)
        if not run(remaining):
            alone = sum(o is None for o in outcomes) == before
    return outcomes


# --- a Dask cluster --------------------------------------------------------------------------------


def dask_client(scheduler: Any):
    """``(client, owned)``: ``scheduler`` itself when it is a ``distributed.Client``, else a new
    client connected to that address (``owned``: close it when done)."""
    try:
        from distributed import Client
    except ImportError:
        raise InputError("--scheduler needs Dask distributed: pip install 'gaitcli[cluster]'") from None
    if isinstance(scheduler, Client):
        return scheduler, False
    try:
        return Client(str(scheduler)), True  # waits distributed.comm.timeouts.connect (Dask's config) at most
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"cannot reach the Dask scheduler at {scheduler} ({' '.join(str(exc).split())[:200]})") from None


def _dask_threads(client) -> dict[str, int]:
    """Threads per task for every worker: its machine's cores over the task slots of all workers there."""
    workers = client.scheduler_info()["workers"]
    cpus = client.run(available_cpus)  # address -> cores of its machine
    slots: dict[str, int] = {}
    for info in workers.values():
        slots[info["host"]] = slots.get(info["host"], 0) + int(info.get("nthreads", 1))
    return {address: worker_threads(slots[info["host"]], cpus.get(address)) for address, info in workers.items()}


def _on_dask(paths: list[Path], scheduler: Any, track, options: dict, fingerprint: str, on_done: OnDone | None) -> list:
    from distributed import as_completed

    client, owned = dask_client(scheduler)
    outcomes: list = [None] * len(paths)
    futures = []
    try:
        if not client.scheduler_info().get("workers"):
            try:
                client.wait_for_workers(1, timeout=60)
            except TimeoutError:
                raise InputError(f"no Dask worker has joined the scheduler at {client.scheduler.address} (waited 60 s); "
                                 "start workers with `dask worker ADDRESS`") from None
        threads = _dask_threads(client)
        options = {k: str(Path(v).resolve()) if isinstance(v, Path) else v for k, v in options.items()}
        batch = uuid.uuid4().hex[:8]
        for index, path in enumerate(paths):  # absolute paths: a worker's working folder is its own
            futures.append(client.submit(_embed_task, index, str(path.resolve()), track, options, threads,
                                         key=f"gaitcli-embed-{batch}-{index}", pure=False))
        index_of = {f.key: i for i, f in enumerate(futures)}
        for future in as_completed(futures):
            index = index_of[future.key]
            try:
                outcome = future.result()[1]
            except Exception as exc:  # the worker died (KilledWorker) or the task was lost
                outcome = Failure.of(paths[index], exc)
            future.release()
            outcome = _as_given(outcome, paths[index], fingerprint)
            outcomes[index] = outcome
            if on_done is not None:
                on_done(index, outcome)
    finally:
        pending = [f for f in futures if not f.done()]
        if pending:  # interrupted: leave nothing running on the cluster
            client.cancel(pending)
        if owned:
            client.close()
    return outcomes


def _as_given(outcome, path: Path, fingerprint: str):
    """A worker's outcome named by the input as given here (not its absolute path), and refused
    when the worker ran another gait model than this machine has."""
    absolute = str(path.resolve())
    if isinstance(outcome, Failure):
        return Failure(str(path), outcome.error.replace(absolute, str(path)), outcome.exit_code, outcome.detail)
    if outcome.model_fingerprint != fingerprint:
        error = ModelError(f"{path}: the worker that embedded it has gait model {outcome.model_fingerprint}, this machine "
                           f"{fingerprint}; install the same gaitcli and models on every worker")
        return Failure.of(path, error)
    if outcome.source == absolute:
        outcome.source = str(path)
    return outcome


__all__ = ["Failure", "available_cpus", "dask_client", "embed_many", "worker_threads"]
