"""The API docs page at ``/docs``: every operation of the OpenAPI document, and a form to try each mapping.

Plain HTML with a few lines of inline script, nothing fetched from elsewhere,
so it works offline. (An interactive explorer such as Swagger UI would have to
ship its assets inside the package; this page is the stand-in until then.)
"""

from __future__ import annotations

from html import escape
from typing import Any

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
code, textarea, pre { font: 13px ui-monospace, monospace; }
section { border-top: 1px solid #ddd; padding: .5rem 0 1rem; }
.method { font-weight: bold; color: #fff; background: #357; border-radius: 3px; padding: 0 .4rem; }
textarea { width: 100%; height: 8rem; box-sizing: border-box; }
pre { background: #f6f6f6; padding: .5rem; overflow: auto; max-height: 20rem; }
"""

_SCRIPT = """
for (const form of document.querySelectorAll("form[data-path]")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const out = form.querySelector("pre");
    const response = await fetch(form.dataset.path, {method: "POST", body: form.body.value,
                                                     headers: {"Content-Type": form.type.value}});
    out.textContent = response.status + " " + response.statusText + "\\n" + await response.text();
  });
}
"""


def docs_page(openapi: dict[str, Any]) -> str:
    """The page listing the operations of ``openapi``, with a form per ``POST``."""
    info = openapi["info"]
    sections = []
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            part = (f'<h3><span class="method">{method.upper()}</span> <code>{escape(path)}</code></h3>'
                    f"<p>{escape(operation.get('summary', ''))}</p>")
            if method == "post":
                types = "".join(f"<option>{escape(media)}</option>" for media in operation["requestBody"]["content"])
                part += (f"<p>{escape(operation.get('description', ''))}</p>"
                         f'<form data-path="{escape(path)}"><textarea name="body">{{}}</textarea>'
                         f'<select name="type">{types}</select> <button>Send</button><pre></pre></form>')
            sections.append(f"<section>{part}</section>")
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(info["title"])}</title>'
            f"<style>{_STYLE}</style></head><body><h1>{escape(info['title'])} {escape(info['version'])}</h1>"
            f"<p>{escape(info['description'])} The whole document: <a href=\"/openapi.json\">/openapi.json</a>.</p>"
            f"{''.join(sections)}<script>{_SCRIPT}</script></body></html>")
