"""The playground as a person uses it: the real ``mapper serve`` and ``mapper playground`` processes, the page in
Debian's chromium, headless, driven by Playwright.

The browser is the system's (``/usr/bin/chromium``, installed by .ci/run from the Debian packages: no
browser is downloaded), started with a fresh profile and without anything that reaches the network.
Each test keeps a screenshot under ``test-artifacts/`` (or ``$MAPPER_TEST_ARTIFACTS``) and prints its path.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from test_serve_cli import EXECUTABLE, PATIENCE, mapper_serve

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

playwright = pytest.importorskip("playwright.sync_api", reason="the browser tests need pip install playwright")

ROOT = Path(__file__).parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("MAPPER_TEST_ARTIFACTS", ROOT / "test-artifacts"))
CRM = "crm-contact-to-member"
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: Milliseconds Playwright waits for what the page should come to show: a bound, never a measured time.
WAIT = int(PATIENCE * 1000)

# Skipped on a machine without chromium, never in CI (CI=true), where .ci/run installs it.
pytestmark = pytest.mark.skipif(not CHROMIUM.exists() and not os.environ.get("CI"),
                                reason="needs Debian's chromium: apt-get install chromium")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    with playwright.sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM), args=BROWSER_ARGS,
            headless=True, viewport={"width": 1200, "height": 700}, offline=False)
        context.set_default_timeout(WAIT)
        # Nothing but the server on the loopback: an asset fetched from elsewhere fails the page.
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1:")
                      else route.abort())
        yield context
        context.close()


def keep(page: Page, name: str) -> Path:
    """A screenshot of ``page`` as a test artifact; its path is printed."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    print(f"screenshot: {path}")
    return path


def test_type_a_mapping_see_the_output_and_an_error_highlighted_at_its_line(browser: BrowserContext) -> None:
    with mapper_serve("mappings") as server:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{server.url}/?mapping={CRM}")
        output = page.locator("#output")
        playwright.expect(output).to_contain_text('"email_address": "jose.nunez@acme.example"')

        editor = page.locator("#editor-mapping textarea")
        mapping = editor.input_value()
        editor.fill(mapping.replace("email_type: {const: html}", "email_type: {const: text}"))
        page.keyboard.press("Control+Enter")
        playwright.expect(output).to_contain_text('"email_type": "text"')
        playwright.expect(page.locator("#status")).to_contain_text("200 · 0 problems")
        page.locator("[data-tab='lineage']").click()  # which source path feeds which target field
        playwright.expect(page.locator("#panel-lineage table.lineage")).to_contain_text("/email_address")
        page.locator("[data-tab='explain']").click()  # what each rule did with the record
        playwright.expect(page.locator("#panel-explain")).to_contain_text('"text"')

        broken = mapping.replace("lower(trim(", "lower(trimm(")
        line = next(number for number, text in enumerate(broken.splitlines(), 1) if "trimm(" in text)
        editor.fill(broken)
        page.keyboard.press("Control+Enter")
        marked = page.locator(f"#editor-mapping .backdrop [data-line='{line}']")
        playwright.expect(marked).to_have_class("error")
        playwright.expect(page.locator(f"#editor-mapping .gutter [data-line='{line}']")).to_have_class("error")
        note = page.locator(f"#editor-mapping .notes [data-line='{line}']")
        playwright.expect(note).to_contain_text("unknown function trimm() (did you mean trim()?)")
        assert page.locator("#editor-mapping .backdrop .error").count() == 1
        playwright.expect(page.locator("#panel-problems")).to_contain_text(f"{CRM}.yaml:{line}:")
        playwright.expect(page.locator("#panel-check")).to_contain_text("M104")
        keep(page, "playground-error.png")

        page.locator("#panel-problems li").first.click()  # a problem takes the caret to its line
        assert editor.evaluate("area => area.value.slice(0, area.selectionStart).split('\\n').length") == line
        assert errors == []
        page.close()


def test_evaluate_an_expression_and_see_a_fault_in_the_input_at_its_line(browser: BrowserContext) -> None:
    with mapper_serve("mappings") as server:
        page = browser.new_page()
        page.goto(f"{server.url}/?mapping={CRM}")
        playwright.expect(page.locator("#output")).to_contain_text("jose.nunez@acme.example")
        page.locator("#expression").fill("upper(FirstName)")
        page.keyboard.press("Enter")
        playwright.expect(page.locator("#eval-result")).to_have_text('"JOSÉ"')
        page.locator("#expression").fill("upper(")
        page.keyboard.press("Enter")
        playwright.expect(page.locator("#eval-result")).to_contain_text("the expression ends too early")

        editor = page.locator("#editor-input textarea")
        text = editor.input_value().replace('"Salutation": "Sr.",', '"Salutation": "Sr.",,')
        line = next(number for number, each in enumerate(text.splitlines(), 1) if '"Sr.",,' in each)
        editor.fill(text)
        page.keyboard.press("Control+Enter")
        playwright.expect(page.locator(f"#editor-input .backdrop [data-line='{line}']")).to_have_class("error")
        playwright.expect(page.locator(f"#editor-input .notes [data-line='{line}']")).to_contain_text("invalid JSON")
        playwright.expect(page.locator('[data-tab="input"] .count')).to_have_text("1")
        page.close()


def test_evaluate_an_expression_against_the_first_xml_record_as_the_rules_see_it(browser: BrowserContext) -> None:
    with mapper_serve("mappings") as server:
        page = browser.new_page()
        page.goto(f"{server.url}/?mapping=metar-to-observation")
        playwright.expect(page.locator("#input-format")).to_have_value("xml")
        page.locator("#expression").fill("[station_id, type(temp_c)]")
        page.keyboard.press("Enter")
        playwright.expect(page.locator("#eval-result")).to_contain_text('"number"')
        page.close()


def test_mapper_playground_prints_its_url_and_opens_the_mapping_and_input(browser: BrowserContext, tmp_path: Path) -> None:
    contact = tmp_path / "contact.json"
    contact.write_text('{"Emails": [{"Address": "Ana@Example.org", "IsPrimary": true}], "FirstName": "Ana"}')
    process = subprocess.Popen([EXECUTABLE, "playground", f"mappings/{CRM}.yaml", str(contact), "--no-browser"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()  # all it prints: the URL
    try:
        banner = lines.get(timeout=PATIENCE)
        assert banner.startswith(f"mapper playground: {CRM} on http://127.0.0.1:") and banner.endswith(
            "/ (Ctrl-C to stop)\n")
        url = banner.split(" on ")[1].split(" ")[0]
        page = browser.new_page()
        page.goto(url)
        playwright.expect(page.locator("#output")).to_contain_text('"email_address": "ana@example.org"')
        playwright.expect(page.locator("#mapping-select")).to_have_value(CRM)
        keep(page, "playground.png")
        page.close()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(PATIENCE) == 143
