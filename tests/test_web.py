"""The web edition in a real browser: Debian's Chromium driven by Playwright.

The built site is served on localhost, as a reader's static host would serve it.
"""

from __future__ import annotations

import functools
import http.server
import threading
import time
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
    page.locator("#search-results li a").first.wait_for()
    titles = page.locator("#search-results li a").all_inner_texts()
    assert "cycle" in titles[0].lower()  # a section titled with the words comes first
    part7 = page.locator("#search-results li a", has_text="Part 7").first
    assert titles.index(part7.inner_text()) < 3
    part7.click()
    page.wait_for_function("location.hash.startsWith('#part7')")
    target = page.evaluate("location.hash.slice(1)")
    assert heading_in_view(page, target)
    section = page.evaluate(
        """id => { let e = document.getElementById(id), text = e.textContent;
                   for (let n = e.nextElementSibling; n && !/^H[123]$/.test(n.tagName); n = n.nextElementSibling) text += n.textContent;
                   return text.replace(/\\s+/g, ' ').toLowerCase(); }""", target)
    assert all(word in section for word in ("cycle", "strong", "reference"))  # every word is in its title or text


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




# Search, from file:// as a reader who opens dist/html/index.html straight from disk would use it.

@pytest.fixture(scope="module")
def disk(real_book: Path) -> str:
    return (real_book / "html").as_uri() + "/"


@pytest.fixture(scope="module")
def searching(browser: Browser, disk: str) -> Iterator[Page]:
    """One part page for the queries: loading the index once keeps them quick."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.goto(disk + "introduction.html")
    yield tab
    context.close()


def search_for(page: Page, query: str) -> list[dict[str, str]]:
    """Type a query and wait for its results: each with its link text, href and highlighted words."""
    page.fill("#search-input", "")
    page.evaluate("delete document.getElementById('search-results').dataset.query")  # no stale results
    page.fill("#search-input", query)
    page.wait_for_function("""q => { const p = document.getElementById('search-results');
        return document.getElementById('search-input').value === q && !p.hidden && p.dataset.query === q; }""", arg=query)
    return page.evaluate("""() => [...document.querySelectorAll('#search-results li')].map(li => ({
        link: li.querySelector('a').textContent, href: li.querySelector('a').getAttribute('href'),
        marks: [...li.querySelectorAll('mark')].map(m => m.textContent.toLowerCase())}))""")


@pytest.mark.parametrize("query, first, marked", [
    ("lifetimes", "Part 3: Lifetimes", "lifetime"),                  # a stem: "lifetimes" finds "lifetime"
    ("lifetiem", "Part 3: Lifetimes", "lifetime"),                   # a typo
    ("borow checker", "Appendix B: Glossary Borrow checker", "borrow"),  # a typo in a phrase; the titled section first
    ("interior mutability", "Part 6: Interior Mutability", "mutability"),
    ("refcell", "Part 6: Interior Mutability What RefCell costs", "refcell"),
    ("array", "Part 4: Memory Allocation: Stack vs. Heap Large arrays and Box::new", "array"),  # stems as lunr.js does
])
def test_search_finds_what_was_meant(searching: Page, query: str, first: str, marked: str) -> None:
    results = search_for(searching, query)
    assert results[0]["link"] == first, [r["link"] for r in results[:5]]
    assert len(results) == 12  # the best twelve of many
    assert all(any(m.startswith(marked) for m in r["marks"]) for r in results[:5]), results[:5]


def test_search_matches_prefixes_while_typing(searching: Page) -> None:
    results = search_for(searching, "borrow chec")
    assert results[0]["link"] == "Appendix B: Glossary Borrow checker"
    assert "checker" in results[0]["marks"]
    assert all(any(m.startswith("lifet") for m in r["marks"]) for r in search_for(searching, "lifet")[:5])


def test_search_with_no_result_says_so(searching: Page) -> None:
    search_for(searching, "quantum chromodynamics")
    assert searching.inner_text("#search-results") == "No section matches “quantum chromodynamics”."
    assert searching.locator("#search-results li").count() == 0
    assert searching.inner_text("#search-status") == "No section matches quantum chromodynamics"


def test_search_results_link_to_the_right_page_in_each_edition(page: Page, disk: str) -> None:
    page.goto(disk + "index.html")
    assert {r["href"] for r in search_for(page, "reference cycles")} >= {"#part7-reference-cycles"}
    page.goto(disk + "02_borrowing_and_references.html")
    hrefs = [r["href"] for r in search_for(page, "reference cycles")]
    assert "07_memory_leaks.html#part7-reference-cycles" in hrefs
    assert search_for(page, "memory leaks in rust")[0]["href"] == "07_memory_leaks.html"  # a part's opening: its page


def test_search_by_keyboard(page: Page, disk: str) -> None:
    page.goto(disk + "index.html")
    focused = "document.activeElement.matches('#search-input') ? 'input' : document.activeElement.textContent"
    page.focus("#search-input")
    links = [r["link"] for r in search_for(page, "borrow checker")]
    page.keyboard.press("ArrowDown")
    assert page.evaluate(focused) == links[0]
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate(focused) == links[2]
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert page.evaluate(focused) == "input"
    page.keyboard.press("Escape")  # closes the results, keeps the words
    assert page.is_hidden("#search-results") and page.input_value("#search-input") == "borrow checker"
    page.keyboard.press("Escape")  # then clears them
    assert page.input_value("#search-input") == ""
    search_for(page, "borrow checker")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Escape")  # from a result: back to the words
    assert page.evaluate(focused) == "input" and page.is_hidden("#search-results")
    search_for(page, "borrow checker")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    href = page.evaluate("document.activeElement.getAttribute('href')")
    page.keyboard.press("Enter")  # follows the result; the section gets the focus
    page.wait_for_function("h => location.hash === h", arg=href)
    assert page.is_hidden("#search-results")
    assert page.evaluate("'#' + document.activeElement.id") == href
    assert heading_in_view(page, href[1:])
    page.goto(disk + "03_lifetimes.html")
    page.focus("#search-input")
    first = search_for(page, "interior mutability")[0]["href"]
    with page.expect_navigation():
        page.keyboard.press("Enter")  # Enter in the box opens the first result
    assert page.url == disk + first


def test_search_works_offline_from_disk(browser: Browser, disk: str) -> None:
    context = browser.new_context()
    tab = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    tab.on("request", lambda r: requests.append(r.url))
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto(disk + "introduction.html")
    assert search_for(tab, "weak")
    assert errors == []
    assert all(url.startswith(disk) for url in requests), [u for u in requests if not u.startswith(disk)]
    assert any(url.endswith("assets/search-index.js") for url in requests)
    assert any(url.endswith("assets/lunr.min.js") for url in requests)
    context.close()


def test_lunr_js_finds_every_term_lunr_py_indexed(searching: Page) -> None:
    """The index was built in Python; the page splits and stems with lunr.js. They must agree on every word."""
    mismatches = searching.evaluate("""() => new Promise(done => bookSearch.load(() => {
        const data = window.BOOK_SEARCH, fields = data.index.fields, indexed = new Map();
        data.index.invertedIndex.forEach(([t, posting]) => fields.forEach(f =>
            Object.keys(posting[f]).forEach(ref => indexed.set(f + '/' + ref + '/' + t, true))));
        const mine = new Map();
        data.docs.forEach((doc, ref) => fields.forEach(f => bookSearch.words(doc[f]).forEach(w => {
            const t = bookSearch.term(w); if (t) mine.set(f + '/' + ref + '/' + t, true); })));
        const missing = [...mine.keys()].filter(k => !indexed.has(k)), extra = [...indexed.keys()].filter(k => !mine.has(k));
        done({missing: missing.slice(0, 10), extra: extra.slice(0, 10), total: indexed.size});
    }))""")
    assert mismatches["missing"] == [] and mismatches["extra"] == []
    assert mismatches["total"] > 40000


# The phone layout: the contents fold behind a button so the text starts on the first screen.

def test_on_a_phone_the_text_starts_on_the_first_screen(browser: Browser, disk: str) -> None:
    context = browser.new_context()
    tab = context.new_page()
    for name in ("index.html", "03_lifetimes.html", "appendix_b_glossary.html"):
        tab.set_viewport_size({"width": 320, "height": 568})
        tab.goto(disk + name)
        for width, height in ((320, 568), (375, 667), (768, 1024)):
            tab.set_viewport_size({"width": width, "height": height})
            assert tab.get_attribute(".toc-toggle", "aria-expanded") == "false"
            assert tab.is_hidden("#toc")
            first_text = tab.evaluate("document.querySelector('main section > p').getBoundingClientRect().top")
            assert first_text < height - 40, (name, width, first_text)
    context.close()


def test_phone_menu_by_keyboard_keeps_the_current_part_marked(browser: Browser, disk: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 667})
    tab = context.new_page()
    tab.goto(disk + "03_lifetimes.html")
    button = tab.get_by_role("button", name="Contents Part 3: Lifetimes")
    assert button.get_attribute("aria-controls") == "toc"
    for _ in range(12):  # the button is reached with Tab, after the header's controls
        tab.keyboard.press("Tab")
        if tab.evaluate("document.activeElement.classList.contains('toc-toggle')"):
            break
    else:
        pytest.fail("Tab never reached the contents button")
    tab.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true"
    assert tab.is_visible("#toc")
    current = tab.locator("#toc [aria-current='page']")
    assert current.inner_text() == "Part 3 Lifetimes" and current.is_visible()
    assert tab.evaluate("getComputedStyle(document.querySelector('#toc li.current > a')).borderLeftStyle") == "solid"
    assert tab.locator("#toc li.current ol a").first.is_visible()  # and its sections
    assert not tab.locator("#toc li:not(.current) ol a").first.is_visible()
    tab.keyboard.press("Tab")  # the contents come next in the tab order
    assert tab.evaluate("document.activeElement.closest('#toc') !== null")
    tab.keyboard.press("Escape")  # closes the menu and returns to its button
    assert button.get_attribute("aria-expanded") == "false" and tab.is_hidden("#toc")
    assert tab.evaluate("document.activeElement.classList.contains('toc-toggle')")
    tab.keyboard.press("Space")
    assert tab.is_visible("#toc")
    tab.click("#toc a[href$='#part3-the-static-lifetime']")  # a section of this part: the menu folds, the text shows
    tab.wait_for_function("location.hash === '#part3-the-static-lifetime'")
    assert tab.is_hidden("#toc") and heading_in_view(tab, "part3-the-static-lifetime")
    tab.set_viewport_size({"width": 1280, "height": 800})  # wider: no button, the contents beside the text
    assert tab.is_hidden(".toc-toggle") and tab.is_visible("#toc")
    context.close()


def test_without_its_script_the_phone_contents_stay_open(browser: Browser, disk: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 667}, java_script_enabled=False)
    tab = context.new_page()
    tab.goto(disk + "03_lifetimes.html")
    assert tab.is_hidden(".toc-toggle") and tab.is_visible("#toc")
    context.close()


# Accessibility: axe-core on every page, in every state a reader can put it in.

A11Y = Path(__file__).resolve().parent / "a11y_states.js"
PHONE_WIDTHS = (320, 375, 600, 768, 900)  # narrow to wide: what scrolls at one width mostly scrolls at the narrower ones
DESKTOP_WIDTHS = (901, 1024, 1280)  # the contents sit beside the text from 901 px
THEMES = ("light", "dark")


class States:
    """Puts pages through their states and collects what axe finds in each (see a11y_states.js)."""

    def __init__(self, tab: Page):
        self.tab = tab
        self.known: set[str] = set()
        self.problems: list[str] = []
        self.states = 0
        self.runs: list[list] = []

    def load(self, url: str) -> None:
        self.tab.goto(url)
        self.tab.add_script_tag(path=str(AXE))
        self.tab.add_script_tag(path=str(A11Y))
        self.tab.evaluate("known => bookA11y.know(known)", sorted(self.known))
        self.tab.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")  # asides open

    def check(self, where: str) -> None:
        """Check the page as it is now, in both themes."""
        found = self.tab.evaluate("([where, themes]) => bookA11y.check(where, themes)", [where, list(THEMES)])
        self.known.update(found["styles"])
        self.problems += found["violations"]
        self.runs += found["runs"]
        self.states += found["states"]


def every_page(real_book: Path) -> list[str]:
    pages = ["index.html"] + sorted(p.name for p in (real_book / "html").glob("*.html") if p.name != "index.html")
    assert len(pages) >= 15
    return pages


def test_axe_finds_no_serious_problem_on_any_page_at_any_width_in_either_theme(browser: Browser, site: str,
                                                                               real_book: Path) -> None:
    """Every page, 8 widths from 320 to 1280 px, both themes, the phone menu open and closed, search results showing."""
    context = browser.new_context(viewport={"width": PHONE_WIDTHS[0], "height": 800})
    states = States(context.new_page())
    started = time.perf_counter()
    pages = every_page(real_book)
    # smallest first and the one-page edition last: a text style is checked on the smallest page that has it
    for name in sorted(pages[1:], key=lambda p: (real_book / "html" / p).stat().st_size) + pages[:1]:
        states.load(site + name)
        search_for(states.tab, "borrow checker")  # results stay open through every state of the page
        order = ("open", "closed")
        for width in PHONE_WIDTHS:
            states.tab.set_viewport_size({"width": width, "height": 800})
            for menu in order:
                assert states.tab.evaluate("open => bookA11y.menu(open)", menu == "open")
                states.check(f"{name} {width}px menu {menu}")
            order = order[::-1]  # the state it is in first
        for width in DESKTOP_WIDTHS:
            states.tab.set_viewport_size({"width": width, "height": 800})
            assert not states.tab.evaluate("bookA11y.menu(false)")  # no menu button
            states.check(f"{name} {width}px")
    elapsed = time.perf_counter() - started
    kinds = {kind: f"{sum(1 for r in states.runs if r[0] == kind)}x, {sum(r[2] for r in states.runs if r[0] == kind) / 1000:.1f} s"
             for kind in ("structure", "scrolling", "colours", "survey")}
    print(f"\naxe: {len(pages)} pages, {states.states} states, {len(states.known)} text styles, {elapsed:.1f} s; {kinds}")
    assert states.problems == []
    assert states.states == len(pages) * 2 * (len(PHONE_WIDTHS) * 2 + len(DESKTOP_WIDTHS))
    context.close()


def test_the_state_checks_catch_what_only_some_states_show(browser: Browser) -> None:
    """A test that cannot fail proves nothing: each problem here shows only in one state."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    states = States(context.new_page())
    states.tab.set_content("""<!DOCTYPE html><html lang="en" data-theme="light"><head><title>States</title><style>
        :root[data-theme="dark"] body { background: #111; color: #eee; }
        :root[data-theme="dark"] .faint { color: #333; }
        .wide { overflow-x: auto; } .wide div { width: 700px; }
        @media (max-width: 500px) { .narrow-only { display: block !important; } }
        </style></head><body><main><h1>States</h1>
        <p id="faint" class="faint">Faint only in the dark theme.</p>
        <div id="wide" class="wide"><div>Scrolls, with nothing to focus, only below 700 px.</div></div>
        <button id="narrow-only" class="narrow-only" style="display: none"></button>
        <button class="theme-toggle" onclick="document.documentElement.dataset.theme =
            document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark'">Theme</button></main></body></html>""")
    states.tab.add_script_tag(path=str(AXE))
    states.tab.add_script_tag(path=str(A11Y))
    states.check("wide")
    assert states.problems == ["wide dark: colours color-contrast: #faint"]
    assert {r[0] for r in states.runs} == {"survey", "structure", "colours"}
    states.tab.set_viewport_size({"width": 400, "height": 800})
    states.check("narrow")
    assert [p.split(" ", 1)[0] for p in states.problems[1:]] == ["narrow", "narrow"]
    assert [p.split(": ", 1)[1] for p in states.problems[1:]] == ["structure button-name: #narrow-only",
                                                                  "scrolling scrollable-region-focusable: #wide"]
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
