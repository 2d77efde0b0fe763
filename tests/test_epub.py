"""The EPUB as e-readers see it: cover, landmarks, metadata, manifest, no scripts, reproducible bytes."""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path, PurePosixPath

from conftest import run_cli

EPUB = "memory-management-in-rust.epub"


def opf_and_docs(path: Path) -> tuple[str, dict[str, bytes]]:
    archive = zipfile.ZipFile(path)
    files = {name: archive.read(name) for name in archive.namelist()}
    return files["EPUB/content.opf"].decode(), files


def test_cover_landmarks_and_accessibility_metadata(real_book: Path) -> None:
    opf, files = opf_and_docs(real_book / EPUB)
    assert re.search(r'<item href="images/cover.png" id="[^"]+" media-type="image/png" properties="cover-image"/>', opf)
    assert files["EPUB/images/cover.png"][:8] == b"\x89PNG\r\n\x1a\n"
    nav = files["EPUB/nav.xhtml"].decode()
    landmarks = nav.split('epub:type="landmarks"', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r'epub:type="(\w+)"', landmarks) == ["cover", "toc", "bodymatter", "index"]
    for prop in ("accessMode", "accessModeSufficient", "accessibilityFeature", "accessibilityHazard", "accessibilitySummary"):
        assert f'property="schema:{prop}"' in opf, prop
    for element in ("dc:title", "dc:creator", "dc:language", "dc:identifier", "dc:publisher", "dc:description"):
        assert f"<{element}" in opf, element
    assert 'property="title-type">subtitle<' in opf
    assert re.search(r'<meta property="dcterms:modified">\d{4}-\d\d-\d\dT00:00:00Z</meta>', opf)


def test_no_scripts_no_remote_resources_and_no_css_variables(real_book: Path) -> None:
    _, files = opf_and_docs(real_book / EPUB)
    for name, data in files.items():
        if name.endswith((".xhtml", ".css", ".opf", ".ncx")):
            text = data.decode()
            assert "<script" not in text, name
            assert not re.search(r'(src|xlink:href)="https?://', text), name
            assert not re.search(r'<link[^>]+href="https?://', text), name
            assert "var(--" not in text, name
            assert "@import" not in text, name


def test_manifest_and_files_agree(real_book: Path) -> None:
    """Every file is in the manifest, every manifest item is used, every used file exists."""
    opf, files = opf_and_docs(real_book / EPUB)
    items = dict(re.findall(r'<item href="([^"]+)" id="([^"]+)"', opf))  # href -> id
    href_of = {item_id: href for href, item_id in items.items()}
    manifest = set(items)
    content = {n.removeprefix("EPUB/") for n in files if n.startswith("EPUB/") and n != "EPUB/content.opf"}
    assert manifest == content
    used = {href_of[i] for i in re.findall(r'<itemref idref="([^"]+)"', opf)}
    used |= {href for href, item_id in items.items() if f'id="{item_id}" media-type="application/x-dtbncx+xml"' in opf}
    used |= {href for href in items if re.search(rf'href="{re.escape(href)}"[^>]*properties="cover-image"', opf)}
    for name in content:
        if name.endswith((".xhtml", ".ncx")):
            base = PurePosixPath(name).parent
            for target in re.findall(r'(?:src|href)="([^"#:]+)(?:#[^"]*)?"', files[f"EPUB/{name}"].decode()):
                used.add(str(base / target).removeprefix("./"))
    assert sorted(manifest - used) == []
    assert sorted(used - content) == []


def test_footnotes_are_popups(fixture_book) -> None:
    run = fixture_book.build("epub")
    assert run.code == 0, run.err
    with zipfile.ZipFile(fixture_book.path("dist/mini-book.epub")) as archive:
        part = archive.read("EPUB/01_first.xhtml").decode()
    assert 'class="footnote-ref" epub:type="noteref"' in part
    assert re.search(r'<li id="part1-fn1" epub:type="footnote">', part)


def test_two_builds_give_identical_bytes(tmp_path: Path) -> None:
    env = {"SOURCE_DATE_EPOCH": "1767225600"}
    digests = []
    for name in ("one", "two"):
        run = run_cli("build", "epub", "html", "--out", str(tmp_path / name), env=env)
        assert run.code == 0, run.err
        digests.append((hashlib.sha256((tmp_path / name / EPUB).read_bytes()).hexdigest(),
                        hashlib.sha256((tmp_path / name / "html" / "index.html").read_bytes()).hexdigest()))
    assert digests[0] == digests[1]


def test_calibre_converts_to_azw3_and_text_with_every_part_in_order(real_book: Path, tmp_path: Path) -> None:
    """calibre is the Kindle route and a second, independent EPUB parser."""
    import subprocess

    from book.load import load_book
    from conftest import PROJECT

    for suffix in ("azw3", "txt"):
        out = tmp_path / f"book.{suffix}"
        proc = subprocess.run(["ebook-convert", str(real_book / EPUB), str(out)], capture_output=True, text=True,
                              timeout=600)
        log = proc.stdout + proc.stderr
        assert proc.returncode == 0, log[-3000:]
        noisy = [line for line in log.splitlines() if re.search(r"\b(error|warning|unexpected token)\b", line, re.I)]
        assert noisy == [], noisy[:10]
        assert out.stat().st_size > 100_000
    lines = [line.strip() for line in (tmp_path / "book.txt").read_text(encoding="utf-8").splitlines()]
    headings = [lines.index(c.full_title) if c.full_title in lines else -1 for c in load_book(PROJECT).parts]
    assert -1 not in headings, "a part heading is missing from calibre's text"
    assert headings == sorted(headings), "part headings are out of order in calibre's text"


def test_ace_by_daisy_finds_no_serious_or_critical_violations(real_book: Path, tmp_path: Path) -> None:
    import json
    import os
    import subprocess

    from conftest import PROJECT

    ace = PROJECT / "node_modules" / ".bin" / "ace-cli"
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": "/usr/bin/chromium", "PUPPETEER_SKIP_DOWNLOAD": "1"}
    proc = subprocess.run([str(ace), "--force", "--silent", "-o", str(tmp_path / "ace"), str(real_book / EPUB)],
                          capture_output=True, text=True, timeout=900, env=env)
    report_file = tmp_path / "ace" / "report.json"
    assert report_file.is_file(), proc.stdout[-2000:] + proc.stderr[-2000:]
    report = json.loads(report_file.read_text())
    assert report["assertions"], "Ace checked no documents"
    violations = [f"{doc['earl:testSubject']['url']}: {check['earl:test']['dct:title']} "
                  f"({check['earl:test']['earl:impact']}): {check['earl:result']['dct:description'][:200]}"
                  for doc in report["assertions"] for check in doc.get("assertions", [])
                  if check["earl:test"]["earl:impact"] in ("serious", "critical")]
    assert violations == [], "\n".join(violations)
