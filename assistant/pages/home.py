"""The signed-in home page: for a participant their matches, the next session and how
each plan in their matches is going; for staff a pointer to what exists so far."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from starlette.responses import Response

from assistant.matching import service as matching
from assistant.matching.models import OPEN_STATUSES, MatchOut
from assistant.pages.common import Viewer, render
from assistant.plans import service as plans
from assistant.plans.models import PlanHealth, PlanOut
from assistant.sessions import service as sessions
from assistant.sessions.models import SessionOut
from assistant.web import DB, AppServices, Services

MODE_LABELS = {
    "mentor": "Mentoring",
    "near_peer": "Near-peer mentoring",
    "reverse": "Reverse mentoring",
    "peer": "Peer pairing",
    "group": "Group",
    "flash": "Flash mentoring",
}
HEALTH_LABELS = {"on_track": "On track", "at_risk": "At risk", "off_track": "Off track"}


@dataclass(frozen=True)
class PlanCard:
    plan: PlanOut
    owner_name: str
    health: PlanHealth


@dataclass(frozen=True)
class NextSession:
    session: SessionOut
    with_names: list[str]


def _others(match: MatchOut, viewer: Viewer) -> list[str]:
    return [m.name for m in match.members if m.participant_id != viewer.principal.id]


def home_page(request: Request, viewer: Viewer, db: DB, services: Services) -> Response:
    if viewer.is_staff:
        return render(request, "home.html", viewer=viewer, active="home")
    return participant_home(request, viewer, db, services)


def participant_home(request: Request, viewer: Viewer, db: DB, services: AppServices) -> Response:
    actor = viewer.principal
    now = services.clock.now()
    thresholds = plans.HealthThresholds.from_settings(services.settings)
    # Open matches first: an ended match is history, still listed but below.
    matches = sorted(
        (matching.match_out(db, m) for m in matching.list_matches(db, actor=actor)),
        key=lambda m: m.status not in OPEN_STATUSES,
    )
    own_plans: list[PlanCard] = []
    others_plans: list[PlanCard] = []
    upcoming: list[NextSession] = []
    for match in matches:
        names = {m.participant_id: m.name for m in match.members}
        for plan in plans.list_plans(db, actor=actor, match_id=match.id):
            card = PlanCard(
                plan=plan,
                owner_name=names.get(plan.owner_id, "A member"),
                health=plans.plan_health(
                    db, actor=actor, plan_id=plan.id, now=now, thresholds=thresholds
                ),
            )
            (own_plans if plan.owner_id == actor.id else others_plans).append(card)
        upcoming += [
            NextSession(session=sessions.session_out(row), with_names=_others(match, viewer))
            for row in sessions.list_sessions(db, actor=actor, match_id=match.id)
            if row.status == "scheduled" and row.scheduled_at >= now
        ]
    next_session = min(upcoming, key=lambda s: s.session.scheduled_at, default=None)
    return render(
        request,
        "home.html",
        viewer=viewer,
        active="home",
        matches=matches,
        others={m.id: _others(m, viewer) for m in matches},
        mode_labels=MODE_LABELS,
        health_labels=HEALTH_LABELS,
        own_plans=own_plans,
        others_plans=others_plans,
        next_session=next_session,
    )
