"""How text written for the API reads in a page: escaped, ids as links, no chunk ids."""

from __future__ import annotations

from assistant.pages.common import linked_ids

PLAN = "8759739" + "0" * 25
SESSION = "ed8da7ecfb754307aee1cec93a7b99e5"


def test_ids_become_links_on_their_word_and_the_rest_stays_text() -> None:
    shown = str(linked_ids(f"I drafted plan {PLAN} (version 1). Last: session {SESSION}."))
    assert shown == (
        f'I drafted <a href="/plans/{PLAN}">plan</a> (version 1). '
        f'Last: <a href="/sessions/{SESSION}">session</a>.'
    )


def test_markup_in_the_text_is_escaped_even_around_a_link() -> None:
    shown = str(linked_ids(f'<script>alert(1)</script> plan {PLAN} "<b>'))
    assert "<script>" not in shown and "<b>" not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and "&#34;&lt;b&gt;" in shown
    assert f'<a href="/plans/{PLAN}">plan</a>' in shown


def test_a_citations_chunk_id_is_dropped_and_other_hex_left_alone() -> None:
    text = f"[1] Skill playbook (knowledge/skills/x.md), chunk {SESSION}; build {SESSION}"
    assert str(linked_ids(text)) == f"[1] Skill playbook (knowledge/skills/x.md); build {SESSION}"
