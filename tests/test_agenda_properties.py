"""Properties of the offline agenda composer over generated matches (hypothesis)."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.drafting.agenda_composer import AgendaComposer
from assistant.drafting.context import session_guidance
from assistant.drafting.models import AgendaContext, DatedMilestone, MemberProgress
from assistant.drafting.playbooks import Playbook, PlaybookLibrary
from assistant.drafting.service import agenda_problems
from assistant.drafting.wording import wording_problems
from assistant.matching.models import MatchOut
from assistant.plans.models import Activity, Milestone, Objective
from assistant.retrieval.embeddings import WordOverlapEmbedder
from assistant.retrieval.models import SearchResult
from assistant.retrieval.service import KnowledgeBase
from assistant.retrieval.store import ChromaVectorStore
from assistant.sessions.models import ActionItemOut, SessionOut, TalkingPointOut
from assistant.vocabulary import MODES, SKILLS

from .test_composer_properties import person

DAY = date(2027, 3, 10)
PEER_MODES = {"peer", "group"}


@pytest.fixture(scope="module")
def sources(
    indexed_guidance_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[KnowledgeBase, PlaybookLibrary]:
    path = tmp_path_factory.mktemp("agendas") / "chroma"
    shutil.copytree(indexed_guidance_template, path)
    knowledge = KnowledgeBase(ChromaVectorStore(path=path).client, WordOverlapEmbedder())
    return knowledge, PlaybookLibrary(knowledge)


def _roles(mode: str, size: int) -> list[str]:
    if mode in PEER_MODES:
        return ["peer"] * size
    return ["mentor", "mentee"]


member_plans = st.lists(
    st.fixed_dictionaries(
        {
            "skill": st.sampled_from(SKILLS),
            "offsets": st.lists(st.integers(-30, 90), min_size=1, max_size=4),
            "done": st.integers(0, 4),
            "shadowing": st.booleans(),
            "has_plan": st.booleans(),
        }
    ),
    min_size=6,
    max_size=6,
)


def _progress(owner: Any, spec: dict[str, Any]) -> MemberProgress:
    if not spec["has_plan"]:
        return MemberProgress(owner, None, None, [], [], 0, 0, [])
    offsets = sorted(spec["offsets"])
    milestones = [
        Milestone(
            id=f"{owner.id}-m{i}",
            title=f"Milestone {i} for {owner.name}",
            due_date=DAY + timedelta(days=o),
            status="done" if i < spec["done"] else "not_started",
        )
        for i, o in enumerate(offsets)
    ]
    activities = [Activity(description="Shadow: watch a review", kind="shadowing")]
    objective = Objective(
        title="Grow",
        goal="Grow",
        skills=[spec["skill"]],
        milestones=milestones,
        activities=activities if spec["shadowing"] else [],
    )
    dated = [DatedMilestone(m, objective, owner.id) for m in milestones]
    open_ = [d for d in dated if d.milestone.status != "done"]
    return MemberProgress(
        owner=owner,
        plan_id=f"plan-{owner.id}",
        current=open_[0] if open_ else None,
        overdue=[d for d in open_ if d.due < DAY],
        due_soon=[d for d in open_ if DAY <= d.due <= DAY + timedelta(days=14)],
        done=len(dated) - len(open_),
        total=len(dated),
        shadowing=objective.activities,
    )


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    mode=st.sampled_from(MODES),
    size=st.integers(3, 6),  # a group is 3 to 6; a peer pair covers 2
    minutes=st.integers(10, 180),
    number=st.integers(1, 12),
    specs=member_plans,
    items=st.lists(st.sampled_from(["Send the draft", "Observe a design review"]), max_size=4),
    # What the API accepts as a talking point: no control characters (TalkingPointIn).
    points=st.lists(
        st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40).filter(
            str.strip
        ),
        max_size=4,
    ),
    with_notes=st.booleans(),
    focus=st.sampled_from(["", "how to handle hostile questions", "Can we talk about pacing?"]),
)
def test_agendas_fill_the_session_fairly_and_cite_only_what_every_member_reads(
    sources: tuple[KnowledgeBase, PlaybookLibrary],
    mode: str,
    size: int,
    minutes: int,
    number: int,
    specs: list[dict[str, Any]],
    items: list[str],
    points: list[str],
    with_notes: bool,
    focus: str,
) -> None:
    knowledge, library = sources
    roles = _roles(mode, size if mode == "group" else 2)
    people = [person(f"p{i}", {}, [], 4) for i in range(len(roles))]
    match = MatchOut.model_validate(
        {
            "id": "m1",
            "mode": mode,
            "status": "active",
            "program_id": None,
            "members": [
                {"participant_id": p.id, "role": r, "name": p.name}
                for p, r in zip(people, roles, strict=True)
            ],
            "cadence": {"sessions_per_month": 2, "minutes": minutes},
            "started_on": DAY,
            "created_at": "2027-01-01T00:00:00Z",
        }
    )
    progress = [_progress(p, spec) for p, spec in zip(people, specs, strict=False)]
    books: dict[str, Playbook] = {}
    for p in progress:
        if p.current:
            book = library.playbook(p.current.objective.skills[0])
            if book:
                books[p.current.objective.skills[0]] = book
    at = datetime(2027, 3, 10, 15, tzinfo=UTC)
    notes = [
        SearchResult(
            chunk_id="note-chunk-1",
            source="notes/s0/n1",
            title="Session on 2027-02-24",
            heading="",
            text="We agreed to try the checklist.",
            score=1.0,
            kind="note",
        )
    ]
    context = AgendaContext(
        match=match,
        members=people,
        roles={p.id: r for p, r in zip(people, roles, strict=True)},
        meeting=SessionOut(
            id="s1",
            match_id="m1",
            scheduled_at=at,
            duration_minutes=minutes,
            title="",
            status="scheduled",
            agenda=None,
            created_at=at,
        ),
        number=number,
        previous=None if number == 1 else SessionOut(
            id="s0", match_id="m1", scheduled_at=at - timedelta(days=14), duration_minutes=45,
            title="", status="held", agenda=None, created_at=at,
        ),
        next_meeting_on=DAY + timedelta(days=15),
        progress=progress,
        action_items=[
            ActionItemOut(
                id=f"a{i}", note_id="n1", session_id="s0", match_id="m1", text=text,
                owner_id=people[i % len(people)].id, due_date=DAY - timedelta(days=i),
                done=False, done_at=None,
            )
            for i, text in enumerate(items)
        ],
        talking_points=[
            TalkingPointOut(
                id=f"t{i}", session_id="s1", author_id=people[i % len(people)].id, text=text,
                created_at=at,
            )
            for i, text in enumerate(points)
        ],
        notes=notes if with_notes else [],
        guidance=session_guidance(knowledge, mode),
        playbooks=books,
        focus=focus,
    )  # fmt: skip

    drafted = AgendaComposer().draft_agenda(context)
    body = drafted.body

    # The same checks the service applies before storing: minutes add up to the
    # session, leads and prep are members, every citation is readable by every member.
    assert agenda_problems(body, context) == []
    assert sum(i.minutes for i in body.items) == minutes
    assert body.items[0].kind == "check_in" and body.items[-1].kind == "commitments"
    assert {t.participant_id for t in body.prep} == {p.id for p in people}
    if mode == "flash":
        assert [i.kind for i in body.items].count("question") == 1
    if mode in PEER_MODES:
        # Every member's own time is the same to the minute: no member's debrief or
        # rounding gives them more.
        dives = {i.for_id: i.minutes for i in body.items if i.kind == "deep_dive"}
        assert set(dives) == {p.id for p in people}
        assert len(set(dives.values())) == 1
        assert not any(i.kind == "debrief" for i in body.items)
        assert any(i.kind == "feedback_round" for i in body.items) or minutes < 20
    # Prep: a few distinct tasks per member, never a dozen near-copies.
    for member in people:
        own = [t.task for t in body.prep if t.participant_id == member.id]
        assert 1 <= len(own) <= 3 and len(set(own)) == len(own)
    # Evidence is asked for only for work begun or due by now, never for a milestone not
    # yet started.
    for p in progress:
        if p.current is not None and p.current.due > DAY:
            own = [t.task for t in body.prep if t.participant_id == p.owner.id]
            assert not any(t.startswith("Bring evidence") for t in own)
    # A focus shapes the agenda and says so; a flash question keeps its words.
    if focus and mode != "flash":
        shaped = [i for i in body.items if i.kind == "focus" or focus[:30] in i.detail]
        assert shaped and any(focus in r for r in body.remarks)
    if (
        mode == "flash"
        and focus
        and not any(t.author_id == people[1].id for t in context.talking_points)
    ):
        question = next(i for i in body.items if i.kind == "question")
        assert focus in question.detail
    # Words true to the mode in everything the composer wrote (members' own words aside).
    written = [i.detail for i in body.items if i.kind not in ("talking_points", "question")]
    written += [i.title for i in body.items if i.kind not in ("talking_points", "question")]
    for text in written:
        assert wording_problems(text, mode, len(people)) == [], text
    assert AgendaComposer().draft_agenda(context) == drafted
