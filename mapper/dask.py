"""Run a conversion on a Dask cluster, when one machine does not convert in time.

::

    import mapper.dask
    from distributed import Client

    with Client("tcp://scheduler:8786") as client:
        counts = mapper.dask.convert("mappings/crm-contact-to-member.yaml",
                                     ["dump-01.ndjson", "dump-02.ndjson"], "out/", client=client)
    assert counts.read == counts.written + counts.rejected

The inputs are cut into partitions: one per JSON or XML file, and blocks of
``block_size`` bytes of NDJSON files. Each partition is one Dask task, which
reads its records with mapper's readers, maps them with the ``Mapping`` and
writes ``OUTPUT_DIR/part-NNNNN.ndjson`` (one output record a line) and, when it
rejected records, ``REJECTS_DIR/part-NNNNN.ndjson`` (one reject a line: source
file, line or record number, the input and every problem). Both files are
renamed into place when the partition is done, so a task that Dask runs again
after its worker died replaces them: no record is lost or written twice.
Reading the parts in name order gives the records in input order.

The ``Mapping`` is sent to the workers pickled, with its parsed mapping file
and both schemas, and rebuilt once per worker: workers need ``mapper``
installed (with the functions a mapping uses, if they are your own), not the
mapping or schema files. Inputs and output directories must be reachable from
every worker under the same name: a shared filesystem, or for inputs any URL
fsspec opens (``s3://bucket/dump.ndjson``). File work (sizes, directories)
happens on the workers, so the machine that calls ``convert`` need not see them.

Dask is an optional extra (``pip install 'mapper[dask]'``); ``import mapper``
never imports it, only ``import mapper.dask`` does.
"""

from __future__ import annotations

from .engine.counts import Counts
from .engine.dask import DEFAULT_BLOCK_SIZE, PartitionError, connect, convert, convert_files
from .engine.partitions import Partition

__all__ = ["DEFAULT_BLOCK_SIZE", "Counts", "Partition", "PartitionError", "connect", "convert", "convert_files"]
