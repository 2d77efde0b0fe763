"""Workarounds for WeasyPrint bugs, installed in the process that renders a PDF.

Each names its upstream issue; `install()` applies them all once per process.

1. Line breaking (`_fix_line_breaks`). When a line overflows only after an inline element (`<code>`, a link), WeasyPrint
(`layout/inline.py`, `_break_waiting_children`) re-splits the text box before it
one pixel narrower than its width, to find that box's last break opportunity.
That width still counts the box's trailing space, while Pango lets a trailing
space hang: Pango says the whole text fits, `split_first_line` sees a width over
the limit, concludes the line "can't be split earlier" and breaks after the
*first word* (hyphenating the second where it can). Part 1's first page printed
"read / er- / ror E0382 ..." over three lines this way. Upstream: the inline
line-breaking issues gathered around Kozea/WeasyPrint#1614.

The same confusion strikes when the text box simply ends a little past the line:
"line can't be split earlier" makes WeasyPrint hyphenate its way from the first
word ("must lend it, and the construct- / or then ...", in the trade edition).

The workaround: when `split_first_line` breaks a text that ends in a collapsible
space well short of the limit although the text without that space fits, it
answers that the whole text fits (its trailing space is allowed to hang, as the
rest of WeasyPrint assumes). The caller then breaks after it, or narrows the
width further and Pango finds the real last break opportunity. Only lines left
short cost another layout, so the book renders no slower.

2. Running heads and page numbers as artifacts (`_margin_boxes_as_artifacts`).
WeasyPrint marks the text of page-margin boxes as tagged content but leaves it
out of the structure tree ("could be included in tree as Artifact, but that's
only allowed in PDF 2.0", `pdf/tags.py`). PDF/UA-1 (ISO 14289-1, 7.8) wants
running heads and folios marked as pagination artifacts, so screen readers do
not read "47" and the part title between two sentences. Margin boxes are drawn
inside `/Artifact <</Type /Pagination /Subtype /Header>>` (or `/Footer`) with
no marked-content ids, and the tagger skips them. Upstream: the PDF/UA umbrella
issue Kozea/WeasyPrint#2482.

3. One link annotation per link (`_one_annotation_per_link`). WeasyPrint gives
every box inside a link its own link annotation (`anchors.py` passes the link
down as `parent_link`), so `<a href><code>Rc</code></a>` makes two, and the
inner one is tagged as the inner element (Span, NonStruct) instead of Link:
PDF/UA-1 7.18.5 wants every link annotation inside a Link structure element.
Only the link's own boxes get an annotation now; its hit area covers its
children, so clicking anywhere on it works as before. Upstream: #2482 too.
"""

from __future__ import annotations

from math import inf

COLLAPSING = ("normal", "nowrap", "pre-line")
SUSPICIOUS = 0.85  # a broken line shorter than this share of the width is checked (full lines never are)
_installed = False


def install() -> None:
    """Patch WeasyPrint in this process (idempotent)."""
    global _installed
    if _installed:
        return
    _fix_line_breaks()
    _margin_boxes_as_artifacts()
    _one_annotation_per_link()
    _installed = True


def _fix_line_breaks() -> None:
    from weasyprint.layout import inline

    original = inline.split_first_line

    def split_first_line(text, style, context, max_width, justification_spacing, is_line_start=True,
                         minimum=False):  # type: ignore[no-untyped-def]
        result = original(text, style, context, max_width, justification_spacing, is_line_start, minimum)
        resume_index, width = result[2], result[3]
        if (resume_index is None or max_width is None or max_width == inf or not text.endswith(" ")
                or style["white_space"] not in COLLAPSING or width > SUSPICIOUS * max_width):
            return result
        bare = original(text.rstrip(" "), style, context, max_width, justification_spacing, is_line_start, minimum)
        if bare[2] is None and bare[3] <= max_width:  # everything but the hanging space fits: no break inside
            return original(text, style, context, inf, justification_spacing, is_line_start, minimum)
        return result

    inline.split_first_line = split_first_line


def _margin_boxes_as_artifacts() -> None:
    import pydyf
    from weasyprint import draw
    from weasyprint.formatting_structure import boxes
    from weasyprint.pdf import tags

    draw_context = draw.draw_stacking_context
    build_tree = tags._build_box_tree  # noqa: SLF001

    def draw_stacking_context(stream, stacking_context):  # type: ignore[no-untyped-def]
        box = stacking_context.box
        if not isinstance(box, boxes.MarginBox) or getattr(stream, "_tags", None) is None:
            return draw_context(stream, stacking_context)
        subtype = "/Header" if box.at_keyword.startswith("@top") else "/Footer"
        marked, stream._tags = stream._tags, None  # noqa: SLF001  (no MCIDs inside an artifact)
        pydyf.Stream.begin_marked_content(stream, "Artifact",
                                          pydyf.Dictionary({"Type": "/Pagination", "Subtype": subtype}))
        try:
            return draw_context(stream, stacking_context)
        finally:
            pydyf.Stream.end_marked_content(stream)
            stream._tags = marked  # noqa: SLF001

    def build_box_tree(box, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(box, boxes.MarginBox):
            return iter(())  # drawn as an artifact: nothing to tag
        return build_tree(box, *args, **kwargs)

    draw.draw_stacking_context = draw_stacking_context
    tags._build_box_tree = build_box_tree  # noqa: SLF001


def _one_annotation_per_link() -> None:
    from weasyprint import anchors, document

    gather = anchors.gather_anchors

    def gather_anchors(box, anchors_, links, bookmarks, forms, parent_matrix=None, parent_form=None,
                       parent_link=None):  # type: ignore[no-untyped-def]
        return gather(box, anchors_, links, bookmarks, forms, parent_matrix, parent_form, None)

    anchors.gather_anchors = gather_anchors
    document.gather_anchors = gather_anchors
