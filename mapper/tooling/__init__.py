"""Tools for mapping files in CI: ``mapper check``, ``mapper test`` and ``mapper fuzz``.

- ``check``: static analysis of a mapping against its two schemas (no payload runs);
- ``fixtures``: the cases kept beside a mapping, and the runner behind ``mapper test``;
- ``fuzzing``: records generated from the source schema, mapped and checked
  (``check_mapping``, also for your own pytest suite);
- ``strategies``: hypothesis strategies that generate instances of a JSON Schema.

The library's conversion path (``mapper.load``, ``Mapping``, the engine) never
imports this package; only the command line and your tests do.
"""
