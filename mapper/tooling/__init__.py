"""Tools for mapping files in CI: ``mapper check``, ``mapper test`` and ``mapper fuzz``.

- ``check``: static analysis of a mapping against its two schemas (no payload runs);
- ``fixtures``: the cases kept beside a mapping, and the runner behind ``mapper test``;
- ``fuzzing``: records generated from the source schema, mapped and checked
  (``check_mapping``, also for your own pytest suite);
- ``strategies``: hypothesis strategies that generate instances of a JSON Schema.
- ``lineage``: which source paths feed which target fields, from the rules alone
  (``reads``: what one expression reads; ``lineage_formats``: Mermaid, dot, JSON, HTML);
- ``explain``: one record traced rule by rule, with its values (``explain_text``: as text).

The library's conversion path (``mapper.load``, ``Mapping``, the engine) never
imports this package; only the command line and your tests do.
"""
