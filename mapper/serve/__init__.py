"""``mapper serve``: the mappings of a folder as documented HTTP endpoints (docs/serve.md).

An ASGI application on Starlette, run by uvicorn; both come with the optional
extra (``pip install 'mapper[serve]'``) and are imported only from this
package, so ``import mapper`` stays light::

    from mapper.serve import Limits, create_app, load_catalog

    app = create_app(load_catalog("mappings"), limits=Limits(max_body=1 << 20))

The modules, one job each: ``catalog`` (the mappings loaded once, and those
that did not load), ``payloads`` (a body through a mapping, by Content-Type
and Accept), ``routes`` (the endpoints), ``openapi`` (the document built from
the mappings' schemas), ``docs_page`` (its HTML page), ``limits`` (size, time,
concurrency), ``access_log`` (a JSON line per request), ``answers`` (errors as
JSON), ``app`` (the application, reloading, and running it); the playground at
``/``: ``playground_routes`` (its endpoints and assets), ``playground`` (what
they compute, with the real engine), ``playground_files`` (the page's texts in
a private folder, and the references refused).
"""

from .app import bind, create_app, run
from .catalog import Broken, Catalog, load_catalog
from .limits import Limits
from .playground import Sample, sample_of

__all__ = ["Broken", "Catalog", "Limits", "Sample", "bind", "create_app", "load_catalog", "run", "sample_of"]
