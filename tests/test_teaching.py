"""The book teaches to the standard the parts were rewritten to, and the checks keep it there.

Counted from the loaded book (book.stats), so a later edit that pushes a
part over its prose budget, drops its self-checks or leaves a rejected
listing unexplained fails here, not in a reader's hands.
"""

from __future__ import annotations

import pytest

from book.load import load_book
from book.stats import part_stats
from conftest import PROJECT

CORE_WORDS = 4500


@pytest.fixture(scope="module")
def book():
    return load_book(PROJECT)


def test_every_part_keeps_its_core_path_short_and_checks_the_reader_often(book) -> None:
    for part in book.parts:
        s = part_stats(part)
        assert s.core_words <= CORE_WORDS, (part.label, s.core_words)
        assert s.questions >= max(5, -(-s.core_words // 1500)), (part.label, s.questions)
        assert 3 * s.tracing >= s.questions, (part.label, s.tracing, s.questions)
        assert s.aside_words > 0, part.label  # advanced material has somewhere to go
        assert s.exercise_levels and all(level in (1, 2, 3) for level in s.exercise_levels), (part.label, s.exercise_levels)


def test_every_rejected_listing_in_a_body_is_explained(book) -> None:
    for part in book.parts:
        s = part_stats(part)
        assert s.ub_boxes + s.safe_boxes >= s.rejected, (part.label, s.rejected, s.ub_boxes, s.safe_boxes)


def test_the_first_three_parts_ask_what_would_happen_if_a_rejected_program_ran(book) -> None:
    for part in book.parts[:3]:
        assert part_stats(part).if_compiled >= 1, part.label


def test_parts_2_and_3_teach_the_permission_model_with_tables_rustc_has_checked(book) -> None:
    tables = [table for part in book.parts[1:3] for table in part.tables]
    assert len(tables) >= 8
    stepped = [t for t in tables if t.listing.mode == "compile_fail" and any(c.needs for r in t.rows for c in r.cells)]
    assert len(stepped) >= 2  # rejected programs shown step by step, to the line rustc points at
    assert any(t.runtime for t in book.parts[5].tables)  # Part 6: the same table, at run time
