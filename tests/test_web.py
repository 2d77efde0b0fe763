"""The web edition in a real browser: Debian's Chromium driven by Playwright.

The built site is served on localhost, as a reader's static host would serve it.
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from conftest import PROJECT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
AXE = PROJECT / "node_modules" / "axe-core" / "axe.min.js"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def site(real_book: Path) -> Iterator[str]:
    handler = functools.partial(QuietHandler, directory=str(real_book / "html"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def heading_in_view(page: Page, element_id: str) -> bool:
    return page.evaluate("""id => { const e = document.getElementById(id); if (!e) return false;
        const r = e.getBoundingClientRect(); return r.top >= -2 && r.top < window.innerHeight / 2; }""", element_id)


def test_pages_load_cleanly_with_every_image(browser: Browser, site: str, real_book: Path) -> None:
    pages = ["index.html"] + sorted(p.name for p in (real_book / "html").glob("*.html") if p.name != "index.html")
    assert len(pages) >= 15
    for name in pages:
        context = browser.new_context()
        tab = context.new_page()
        errors: list[str] = []
        failed: list[str] = []
        tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.on("requestfailed", lambda r: failed.append(r.url))
        tab.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        tab.goto(site + name, wait_until="load")
        broken = tab.evaluate("[...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
        assert (errors, failed, broken) == ([], [], []), name
        context.close()


@pytest.mark.parametrize("start", ["index.html", "01_introduction_to_ownership.html"])
def test_toc_entry_lands_on_its_heading(page: Page, site: str, start: str) -> None:
    page.goto(site + start)
    page.locator(".sidebar .toc > li").nth(3).locator("> a").click()  # Part 3 in the contents
    page.wait_for_load_state()
    page.click(".sidebar a[href$='#part3-the-static-lifetime']")
    page.wait_for_function("location.hash === '#part3-the-static-lifetime'")
    assert heading_in_view(page, "part3-the-static-lifetime")


@pytest.mark.parametrize("start", ["index.html", "05_smart_pointers.html"])
def test_cross_part_link_lands_on_the_right_heading(page: Page, site: str, start: str) -> None:
    page.goto(site + start)
    link = page.locator("#part5 a[data-xref='part3'][href*='#part3-'] >> visible=true").first  # not one in a closed aside
    target = link.get_attribute("href").split("#", 1)[1]
    link.click()
    page.wait_for_function(f"location.hash === '#{target}'")
    assert heading_in_view(page, target)
    if start != "index.html":
        assert page.url.split("#")[0].endswith("03_lifetimes.html")


@pytest.mark.parametrize("start", ["index.html", "07_memory_leaks.html"])
def test_permalink_points_at_its_heading(page: Page, site: str, start: str) -> None:
    page.goto(site + start)
    heading = page.locator("#part7-reference-cycles")
    heading.hover()
    heading.locator(".permalink").click()
    page.wait_for_function("location.hash === '#part7-reference-cycles'")
    assert heading_in_view(page, "part7-reference-cycles")


@pytest.mark.parametrize("start", ["index.html", "02_borrowing_and_references.html"])
def test_search_finds_a_phrase_from_part_7_and_opens_it(page: Page, site: str, start: str) -> None:
    page.goto(site + start)
    page.fill("#search-input", "a cycle of strong references")
    first = page.locator("#search-results li a").first
    first.wait_for()
    assert "Part 7" in page.locator("#search-results li").first.inner_text()
    first.click()
    page.wait_for_function("location.hash.startsWith('#part7')")
    target = page.evaluate("location.hash.slice(1)")
    assert heading_in_view(page, target)
    assert "a cycle of strong references" in page.evaluate(
        """id => { let e = document.getElementById(id), text = '';
                   for (let n = e.nextElementSibling; n && !/^H[12]$/.test(n.tagName); n = n.nextElementSibling) text += n.textContent;
                   return text.replace(/\\s+/g, ' '); }""", target)


def test_theme_toggle_switches_and_is_remembered(page: Page, site: str) -> None:
    page.goto(site + "03_lifetimes.html")
    before = page.evaluate("document.documentElement.dataset.theme")
    page.click(".theme-toggle")
    after = page.evaluate("document.documentElement.dataset.theme")
    assert {before, after} == {"light", "dark"}
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.reload()
    assert page.evaluate("document.documentElement.dataset.theme") == after
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == background
    page.goto(site + "index.html")
    assert page.evaluate("document.documentElement.dataset.theme") == after


def test_copy_button_copies_exactly_the_visible_code(browser: Browser, site: str) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(site + "01_introduction_to_ownership.html")
    listing = page.locator(".listing").nth(2)
    visible = listing.locator("pre.code code").inner_text()
    listing.locator(".copy-button").click()
    page.wait_for_function("document.querySelectorAll('.copy-button')[2].textContent === 'Copied'")
    assert page.evaluate("navigator.clipboard.readText()") == visible
    assert "fn main" in visible or "let " in visible
    context.close()


@pytest.mark.parametrize("width", [375, 1280])
def test_nothing_overflows_horizontally_except_code(browser: Browser, site: str, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    for name in ("index.html", "04_stack_vs_heap.html", "appendix_c_cheat_sheet.html"):
        page.goto(site + name)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, name
        offenders = page.evaluate("""w => [...document.querySelectorAll('main *')].filter(e => {
              const r = e.getBoundingClientRect(); return r.right > w + 1 && !e.closest('pre, .content table');
            }).slice(0, 5).map(e => e.tagName + '.' + e.className)""", width)
        assert offenders == [], name
    context.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_axe_finds_no_serious_accessibility_problems(browser: Browser, site: str, theme: str) -> None:
    context = browser.new_context(color_scheme=theme)
    page = context.new_page()
    for name in ("introduction.html", "06_interior_mutability.html"):
        page.goto(site + name)
        assert page.evaluate("document.documentElement.dataset.theme") == theme
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate("""async () => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}});
            return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
        }""")
        assert violations == [], f"{name} ({theme}): {violations}"
    context.close()


# ---- the learning layer in the browser -------------------------------------------------------

def test_a_question_gives_feedback_and_keeps_its_answer_hidden_until_asked(page: Page, site: str) -> None:
    page.goto(site + "02_borrowing_and_references.html")
    quiz = page.locator("section.quiz[data-kind='choice']").first
    explanation = quiz.locator(".quiz-explanation")
    assert not explanation.is_visible()  # not before the reader asks
    correct = quiz.get_attribute("data-correct").split(",")
    options = quiz.locator(".quiz-options > li")
    wrong = next(i for i in range(options.count()) if str(i) not in correct)
    options.nth(wrong).locator("input").check()
    quiz.locator(".quiz-check").click()
    result = quiz.locator(".quiz-result")
    page.wait_for_function("el => el.textContent.length > 0", arg=result.element_handle())
    assert result.inner_text().startswith(("Not quite", "Partly right"))
    assert not explanation.is_visible()
    if options.nth(wrong).locator(".quiz-feedback").count():
        assert options.nth(wrong).locator(".quiz-feedback").is_visible()
    options.nth(wrong).locator("input").uncheck() if len(correct) > 1 else None
    for index in correct:
        options.nth(int(index)).locator("input").check()
    quiz.locator(".quiz-check").click()
    page.wait_for_function("el => el.textContent === 'Right.'", arg=result.element_handle())
    assert explanation.is_visible()


def test_a_tracing_question_checks_the_predicted_output_and_works_from_the_keyboard(page: Page, site: str) -> None:
    page.goto(site + "02_borrowing_and_references.html")
    quiz = page.locator("section.quiz[data-kind='tracing'][data-answer='run']").first
    expected = quiz.get_attribute("data-output")
    quiz.locator("input[value='compile_fail']").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")  # submits the question's form
    result = quiz.locator(".quiz-result")
    page.wait_for_function("el => el.textContent.startsWith('Not quite')", arg=result.element_handle())
    quiz.locator(".quiz-output").fill(expected.rstrip("\n") + "   \n")  # trailing space and newlines do not matter
    assert quiz.locator("input[value='run']").is_checked()  # typing a prediction chooses "it compiles"
    quiz.locator(".quiz-check").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("el => el.textContent === 'Right.'", arg=result.element_handle())
    assert quiz.locator(".quiz-explanation").is_visible()


def test_a_run_link_carries_a_program_that_compiles_here(page: Page, site: str, tmp_path: Path) -> None:
    import subprocess
    from urllib.parse import parse_qs, urlsplit

    page.goto(site + "03_lifetimes.html")
    href = page.locator(".listing-run .run-link").nth(3).get_attribute("href")
    parts = urlsplit(href)
    assert parts.netloc == "play.rust-lang.org"
    query = parse_qs(parts.query)
    assert query["version"] == ["stable"] and query["edition"] == ["2024"]
    (tmp_path / "main.rs").write_text(query["code"][0])
    compiled = subprocess.run(["rustc", "--edition", "2024", "-o", str(tmp_path / "main"), str(tmp_path / "main.rs")],
                              capture_output=True, text=True, timeout=300)
    assert compiled.returncode == 0, compiled.stderr


def test_asides_are_collapsed_and_open_without_scripts(browser: Browser, site: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site + "02_borrowing_and_references.html")
    aside = page.locator("details.deeper").first
    assert not aside.locator(".deeper-body").is_visible()
    aside.locator("summary").click()
    assert aside.locator(".deeper-body").is_visible()
    quiz = page.locator("section.quiz").first
    assert not quiz.locator(".quiz-check").is_visible()  # no script, no Check button: the answer is still there
    quiz.locator(".quiz-answer > summary").click()
    assert quiz.locator(".quiz-explanation").is_visible()
    context.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_learning_layer_passes_axe(browser: Browser, site: str, theme: str) -> None:
    context = browser.new_context(color_scheme=theme)
    page = context.new_page()
    page.goto(site + "02_borrowing_and_references.html")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")  # check the hidden parts too
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("""async () => {
        const result = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}});
        return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
    }""")
    assert violations == [], f"{theme}: {violations}"
    context.close()
