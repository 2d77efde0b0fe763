"""Page references are written into slots after one layout (book/targets/pagerefs.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import weasyprint

from book.targets import pagerefs

STYLE = "<style>@page { size: A6 } .pageref { font-variant-numeric: tabular-nums } .page { break-before: page }</style>"


def document_with(references: str, pages: int, targets: dict[int, str]) -> str:
    """`pages` pages; page N holds the ids in targets[N]; page 1 starts with `references`."""
    body = [references]
    for number in range(1, pages + 1):
        anchor = f'<h2 id="{targets[number]}">Section</h2>' if number in targets else "<p>Filler.</p>"
        body.append(f'<div class="{"page" if number > 1 else ""}">{anchor}</div>')
    return f"<html><head>{STYLE}</head><body>{''.join(body)}</body></html>"


def reference(target: str) -> str:
    return f'<p>See <a href="#{target}">it</a> (page {pagerefs.slot(target, suffix=")")}.</p>'


def render_to_text(html: str, tmp_path: Path) -> tuple[str, int]:
    passes = []

    def lay_out(text: str) -> weasyprint.Document:
        passes.append(text)
        return weasyprint.HTML(string=text).render()

    rendered = pagerefs.render(html, lay_out)
    assert rendered.unfilled == []
    pdf = tmp_path / "out.pdf"
    rendered.document.write_pdf(pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.replace(pagerefs.FIGURE_SPACE, " ").split()), len(passes)


def test_forward_and_backward_references_print_the_target_page(tmp_path: Path) -> None:
    html = document_with(reference("late") + reference("early"), 12, {1: "early", 12: "late"})
    text, _ = render_to_text(html, tmp_path)
    assert "(page 12)" in text and "(page 1)" in text


def test_slots_get_the_digits_their_position_suggests() -> None:
    body = '<body><h2 id="near">' + "x" * (pagerefs.BYTES_PER_PAGE * 150) + '<h2 id="far">'
    assert pagerefs.estimated_digits("<head>" + body) == {"near": 1, "far": 3}
    assert pagerefs.estimated_digits("<head>" + "/a/long/checkout/path" * 500 + body) == {"near": 1, "far": 3}


def test_a_slot_too_narrow_for_its_number_is_laid_out_again(tmp_path: Path, monkeypatch) -> None:
    html = document_with(reference("late"), 12, {12: "late"})
    monkeypatch.setattr(pagerefs, "estimated_digits", lambda _: {"late": 1})  # as if the target looked near the start
    text, passes = render_to_text(html, tmp_path)
    assert "(page 12)" in text
    assert passes == 2


def test_a_shorter_number_is_padded_not_reflowed(tmp_path: Path) -> None:
    html = document_with(reference("early"), 3, {2: "early"})
    document = weasyprint.HTML(string=pagerefs.with_digits(html, {"early": 3}, 3)).render()
    wider, missing = pagerefs.write_numbers(document, pagerefs.PageMap.of(document, None).anchors)
    assert (wider, missing) == ({}, [])
    boxes = [box.text for box, _ in pagerefs._slot_boxes(document)]
    assert boxes == [pagerefs.FIGURE_SPACE * 2 + "2)"]


def test_a_reference_to_a_missing_target_is_reported() -> None:
    html = document_with(reference("nowhere"), 2, {2: "somewhere"})
    rendered = pagerefs.render(html, lambda text: weasyprint.HTML(string=text).render())
    assert rendered.unfilled == ["nowhere"]
