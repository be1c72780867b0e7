"""The Dask runner: a conversion cut into partitions, run on a Dask cluster.

``mapper.dask`` is its public face and docs/dask.md its manual; the
partitions themselves (what one task reads, maps and writes) are in
``mapper.engine.partitions``, free of Dask. Importing this module imports
Dask's ``distributed``: nothing else in mapper imports it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

try:
    import distributed
except ImportError as error:  # pragma: no cover - depends on the installation
    raise ImportError("mapper.dask needs Dask's distributed scheduler: pip install 'mapper[dask]'") from error

from ..errors import MapperError
from ..formats import check_format, format_of_path
from ..mapping import Mapping, load
from .counts import Counts
from .partitions import (
    Partition,
    blocks_to_count,
    count_block,
    is_url,
    number_blocks,
    plan,
    prepare_output,
    run_partition,
)

#: How many times a conversion sends the mapping again after the workers that held it died.
MAPPING_RESENDS = 3

#: Bytes of NDJSON per partition: a few seconds of mapping on one core, small
#: enough to spread a file over many workers and to make a retry cheap.
DEFAULT_BLOCK_SIZE = 64 * 1024 * 1024

StrPath = str | os.PathLike[str]
T = TypeVar("T")


class PartitionError(MapperError):
    """A partition could not be converted: the workers that ran it kept dying.

    ``partition`` says which input and byte range. Dask runs a partition again
    on another worker when its worker dies, up to the scheduler's
    ``distributed.scheduler.allowed-failures`` times (3 by default); past that
    the conversion stops with this error. Often the cause is memory: a worker
    that outgrows its limit is killed by its nanny.
    """

    def __init__(self, message: str, partition: Partition) -> None:
        super().__init__(message)
        self.message = message
        self.partition = partition

    def __str__(self) -> str:
        partition = self.partition
        where = partition.path
        if partition.end is not None:
            where += f" (bytes {partition.start}-{partition.end})"
        return f"{where}: {self.message}"


def convert(
    mapping: Mapping | StrPath,
    inputs: Sequence[StrPath],
    output_dir: StrPath,
    *,
    rejects_dir: StrPath | None = None,
    client: distributed.Client | None = None,
    input_format: str | None = None,
    records: str | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    retries: int = 1,
    overwrite: bool = False,
) -> Counts:
    """Convert ``inputs`` on a Dask cluster into NDJSON parts in ``output_dir``; return the counts.

    ``mapping`` is a ``Mapping`` or the path of a mapping file (loaded here, so
    a bad mapping fails before anything is sent). ``client`` defaults to the
    current Dask client; without one, a local cluster runs for this call.
    ``input_format`` (``ndjson``, ``json`` or ``xml``) defaults to what each
    file's name says (``.ndjson``/``.jsonl``, ``.json``, ``.xml``), else to the
    mapping's source format, as for ``mapper convert``; ``records`` says
    where the records are in JSON and XML documents (default: the mapping's).
    Rejects go to ``rejects_dir``, by default ``output_dir/_rejects``.
    ``retries`` re-runs a partition whose task raised (a partition whose
    worker died is re-run by Dask in any case). A directory that holds parts
    of an earlier run raises ``FileExistsError`` unless ``overwrite``.

    Raises ``PayloadError`` for an input that cannot be found, ``PartitionError``
    when workers keep dying on a partition, and what a partition raised
    (an ``OSError`` for an output directory that cannot be written).
    """
    if not isinstance(mapping, Mapping):
        mapping = load(os.fspath(mapping))
    if input_format is not None:
        check_format(input_format)
    default_format = mapping.spec.source.format
    files = [(path, input_format or format_of_path(path) or default_format) for path in map(_absolute, inputs)]
    output = _absolute(output_dir)
    rejects = _absolute(rejects_dir) if rejects_dir is not None else str(Path(output) / "_rejects")
    if os.path.normpath(rejects) == os.path.normpath(output):
        raise ValueError("rejects_dir must not be output_dir: both hold part-NNNNN.ndjson files")
    if client is None:
        try:
            client = distributed.Client.current()  # type: ignore[no-untyped-call]
        except ValueError:  # no client yet: a local cluster for this call
            with connect() as local:
                return _convert(local, mapping, files, output, rejects, records, block_size, retries, overwrite)
    return _convert(client, mapping, files, output, rejects, records, block_size, retries, overwrite)


def convert_files(
    mapping_path: StrPath,
    inputs: Sequence[StrPath],
    output_dir: StrPath,
    rejects_dir: StrPath | None = None,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    input_format: str | None = None,
    records: str | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    overwrite: bool = False,
) -> Counts:
    """``mapper convert --engine dask``: load the mapping, connect, convert.

    ``scheduler`` is the address of a running scheduler (``tcp://host:8786``);
    without it a local cluster of ``workers`` processes (one per core by
    default) runs for this call. Raises ``MappingError`` for a bad mapping
    before any cluster is started.
    """
    mapping = load(os.fspath(mapping_path))
    with connect(scheduler, workers=workers) as client:
        return convert(mapping, inputs, output_dir, rejects_dir=rejects_dir, client=client,
                       input_format=input_format, records=records, block_size=block_size, overwrite=overwrite)


@contextmanager
def connect(scheduler: str | None = None, *, workers: int | None = None) -> Iterator[distributed.Client]:
    """A client of the scheduler at ``scheduler``, or of a new local cluster closed on exit.

    The local cluster has ``workers`` processes (default: one per core) of one
    thread each: mapping is Python code that holds the GIL, so processes, not
    threads, are what run it in parallel.
    """
    if scheduler:
        with distributed.Client(scheduler) as client:  # type: ignore[no-untyped-call]
            yield client
        return
    n_workers = workers or os.cpu_count() or 1
    cluster = distributed.LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0")
    with cluster, distributed.Client(cluster) as client:  # type: ignore[no-untyped-call]
        yield client


def _convert(client: distributed.Client, mapping: Mapping, files: list[tuple[str, str]], output: str,
             rejects: str, records: str | None, block_size: int, retries: int, overwrite: bool) -> Counts:
    # File work runs on a worker: it sees the files under the names the tasks will use.
    partitions: list[Partition] = _on_worker(client, plan, files, block_size)
    _on_worker(client, prepare_output, output, rejects, overwrite=overwrite)
    # Line and record numbers of a block depend on the blocks before it: count them first
    # (reading without mapping is fast next to mapping).
    to_count = blocks_to_count(partitions)
    if to_count:
        counted = client.gather(client.map(  # type: ignore[no-untyped-call]
            count_block, to_count, pure=False, retries=retries))
        partitions = number_blocks(partitions, {block.index: count for block, count in zip(to_count, counted)})
    total = Counts()
    resent = 0
    # The mapping is sent once to every worker and unpickled there once, not once per task. When the
    # workers that held it die, Dask cannot rebuild it (scattered data) and cancels the tasks that need
    # it: the mapping is sent again with the partitions not done yet.
    while True:
        shipped, futures = _submit(client, mapping, partitions, output, rejects, records, retries)
        try:
            for done, (partition, future) in enumerate(zip(partitions, futures)):
                try:
                    total += future.result()
                except distributed.KilledWorker as error:
                    raise PartitionError("the workers running it died too often (the scheduler's "
                                         "distributed.scheduler.allowed-failures)", partition) from error
                except CancelledError as error:
                    if resent == MAPPING_RESENDS:
                        raise PartitionError(f"the mapping was lost with the workers that held it "
                                             f"{resent + 1} times", partition) from error
                    resent += 1
                    partitions = partitions[done:]
                    break
            else:
                return total
        finally:
            client.cancel([*futures, shipped])  # type: ignore[no-untyped-call]


def _submit(client: distributed.Client, mapping: Mapping, partitions: list[Partition], output: str, rejects: str,
            records: str | None, retries: int) -> tuple[Any, list[Any]]:
    """Send ``mapping`` to every worker, then one ``run_partition`` task per partition: (the mapping's
    future, the tasks' futures)."""
    shipped = client.scatter(mapping, broadcast=True, hash=False)  # type: ignore[no-untyped-call]
    run = uuid.uuid4().hex[:8]
    futures = client.map(run_partition, partitions, mapping=shipped, output_dir=output, rejects_dir=rejects,
                         records=records, key=[f"mapper-{run}-{partition.name}" for partition in partitions],
                         retries=retries, pure=False)
    return shipped, futures


def _on_worker(client: distributed.Client, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``func(*args, **kwargs)`` run on a worker; what it raises is raised here.

    The expected errors (an input not found, a directory in use) travel back as
    values, so that the worker does not log them as failed tasks: the caller
    reports them.
    """
    error, value = client.submit(_capture, func, *args, pure=False, **kwargs).result()
    if error is not None:
        raise error
    return cast(T, value)


def _capture(func: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[BaseException | None, Any]:
    try:
        return None, func(*args, **kwargs)
    except (MapperError, OSError, ValueError) as error:
        return error, None


def _absolute(path: StrPath) -> str:
    text = os.fspath(path)
    return text if is_url(text) else os.path.abspath(text)
