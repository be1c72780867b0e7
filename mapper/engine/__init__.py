"""The engine: records in, outputs and rejects out, on this machine or on a Dask cluster.

The modules follow a record's path::

    units       inputs read into units (a record, or its raw NDJSON line, or a block of lines)
    tasks       a unit to an Outcome: mapped and encoded (ConvertTask), or validated (ValidateTask)
    workers     outcomes in input order, here or in worker processes (jobs)
    processes   what every worker process shares: its start, what crosses back for an outcome
    xml_jobs    XML files read by the workers themselves (jobs): whole, or shared in chunks of records
    rejects     the reject record and the one writer of reject lines
    output      the one atomic file writer
    observer    what a run tells whoever watches it (progress, messages)
    counts      the one Counts of every runner
    local       the local runner (Run): outcomes written, rejects reported, counts out
    sides       readers and writers for a mapping's sides (formats, records, XML options)
    files       whole runs over files: convert_files (mapper.convert_files), validate_files
    partitions  a Dask conversion's partitions: plan, count, map one, commit atomically
    dask        the Dask runner behind mapper.dask (imports Dask: only mapper.dask imports it)

The engine never prints and never exits: it raises errors of ``mapper.errors``
and tells an ``Observer`` what happens; the CLI prints.
"""

from .counts import Counts
from .files import convert_files
from .observer import Observer

__all__ = ["Counts", "Observer", "convert_files"]
