"""A plan as its members read and work it: `/plans/{id}`, its print view, its Markdown,
and the forms that log progress, accept and revise it. Every read and write goes through
the same plan service the REST API calls, with the signed-in person as the actor."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError
from starlette.responses import Response

from assistant.errors import DomainError, InvalidField, NotAllowed, NotFound, RuleViolation
from assistant.matching.models import WORKING_STATUSES
from assistant.pages.common import (
    CheckedForm,
    SignedIn,
    Viewer,
    form_text,
    long_date,
    render,
    see_other,
)
from assistant.people.service import visible_participant
from assistant.plans import service
from assistant.plans.markdown import citation_numbers, minutes_text, plan_markdown
from assistant.plans.models import (
    Activity,
    PlanHealth,
    PlanOut,
    PlanRevise,
    ProgressIn,
    ProgressOut,
)
from assistant.web import DB, AppServices, Services

router = APIRouter(include_in_schema=False)

VersionQuery = Annotated[int | None, Query(ge=1, le=10_000)]

# The statuses a person ticks as they work; "dropped" is a change to the plan itself,
# made by revising it, so it is shown but not offered as a button.
STATUS_BUTTONS = (
    ("not_started", "Not started"),
    ("in_progress", "In progress"),
    ("done", "Done"),
    ("blocked", "Blocked"),
)
STATUS_LABELS = dict(STATUS_BUTTONS) | {"dropped": "Dropped"}
HEALTH_LABELS = {"on_track": "On track", "at_risk": "At risk", "off_track": "Off track"}
PLAN_STATUS_LABELS = {
    "draft": "Draft",
    "active": "Accepted",
    "superseded": "Superseded",
}
RECENT_PROGRESS = 5
# The ids tandem.js swaps after a status button posts, so ticking does not jump the page.
PROGRESS_SWAP = "plan-flash plan-health objectives plan-progress"
# What the page says after an action it redirected from (chosen by key, never echoed).
DONE_MESSAGES = {
    "accepted": "Plan accepted. This version is now the one you work to.",
    "revised": "A new version was drafted from your instruction. Read it below, then "
    "accept it if it suits you.",
}


@dataclass(frozen=True)
class PlanPermissions:
    """What the viewer may do here, by the rules the service enforces on the API."""

    log_progress: bool
    revise: bool
    accept: bool


def health_for(db: DB, viewer: Viewer, services: AppServices, plan_id: str) -> PlanHealth:
    """The same health `GET /v1/plans/{id}/health` answers."""
    return service.plan_health(
        db,
        actor=viewer.principal,
        plan_id=plan_id,
        now=services.clock.now(),
        thresholds=service.HealthThresholds.from_settings(services.settings),
    )


def _permissions(db: DB, viewer: Viewer, plan_id: str, plan: PlanOut) -> PlanPermissions:
    stored, match = service.visible_plan(db, viewer.principal, plan_id)
    try:
        service.require_plan_editor(viewer.principal, match, stored.owner_id)
        editor = True
    except NotAllowed:
        editor = False
    latest = plan.version == plan.latest_version
    may_accept = viewer.is_staff or viewer.principal.id == stored.owner_id
    return PlanPermissions(
        # Progress is logged against the current version of a plan in an open match.
        log_progress=editor and latest and match.status in WORKING_STATUSES,
        revise=editor and latest,
        accept=may_accept and latest and plan.status == "draft",
    )


@dataclass(frozen=True)
class TimeBudget:
    """Minutes a month the plan asks for in its busiest month, against the owner's time
    (None when the viewer may not know it)."""

    planned: int
    sessions: int
    budget: int | None

    @property
    def over(self) -> bool:
        return self.budget is not None and self.planned > self.budget

    @property
    def activities(self) -> int:
        return max(0, self.planned - self.sessions)


def _time_budget(db: DB, viewer: Viewer, plan: PlanOut) -> TimeBudget:
    """The plan's own budget, else the owner's profile hours when the viewer may read
    that profile (the owner, staff), exactly as the participants API would allow."""
    budget = plan.budget_minutes_per_month
    if budget is None:
        try:
            hours = visible_participant(db, viewer.principal, plan.owner_id).hours_per_month
        except NotFound:
            hours = None
        budget = round(hours * 60) if hours is not None else None
    cadence = plan.cadence
    return TimeBudget(
        planned=plan.planned_minutes_per_month,
        sessions=cadence.sessions_per_month * cadence.minutes if cadence else 0,
        budget=budget,
    )


def activity_facts(activity: Activity) -> str:
    """'practice, 1 h a month, from Mon 1 Mar 2027': what kind of thing it is, the time
    it takes and when it starts. The time is left out when the description already ends
    with it, as the guidance's own activities do (the Markdown export reads it the same
    way)."""
    parts: list[str] = [activity.kind]
    states_its_cost = activity.description.rstrip(". ").endswith(")")
    if activity.minutes_per_month and not states_its_cost:
        every = "a month" if activity.recurring else "once"
        parts.append(f"{minutes_text(activity.minutes_per_month)} {every}")
    if activity.starts_on is not None:
        parts.append(f"from {long_date(activity.starts_on)}")
    return ", ".join(parts)


def _flash(request: Request, plan: PlanOut) -> str:
    done = request.query_params.get("done", "")
    if done == "progress":
        wanted = request.query_params.get("milestone", "")
        for objective in plan.objectives:
            for milestone in objective.milestones:
                if milestone.id == wanted:
                    return f"“{milestone.title}” is now {STATUS_LABELS[milestone.status].lower()}."
        return ""
    return DONE_MESSAGES.get(done, "")


def plan_page(
    request: Request,
    viewer: Viewer,
    db: DB,
    services: AppServices,
    plan_id: str,
    *,
    version: int | None = None,
    status_code: int = 200,
    error: str = "",
    error_form: str = "",
    instruction: str = "",
) -> Response:
    plan = service.read_plan(db, actor=viewer.principal, plan_id=plan_id, version=version)
    history: list[ProgressOut] = service.progress_history(
        db, actor=viewer.principal, plan_id=plan_id
    )
    titles = {m.id: m.title for o in plan.objectives for m in o.milestones}
    names = service.member_names(db, plan.match_id)
    return render(
        request,
        "plan.html",
        viewer=viewer,
        status_code=status_code,
        plan=plan,
        names=names,
        owner_name=names.get(plan.owner_id, "A member"),
        health=health_for(db, viewer, services, plan_id),
        versions=service.list_versions(db, actor=viewer.principal, plan_id=plan_id),
        recent_progress=list(reversed(history[-RECENT_PROGRESS:])),
        milestone_titles=titles,
        may=_permissions(db, viewer, plan_id, plan),
        budget=_time_budget(db, viewer, plan),
        numbers=citation_numbers(plan.citations),
        status_buttons=STATUS_BUTTONS,
        activity_facts=activity_facts,
        minutes=minutes_text,
        status_labels=STATUS_LABELS,
        health_labels=HEALTH_LABELS,
        plan_status_labels=PLAN_STATUS_LABELS,
        progress_swap=PROGRESS_SWAP,
        flash="" if error else _flash(request, plan),
        error=error,
        error_form=error_form,
        instruction=instruction,
    )


def _refused(exc: DomainError | ValidationError) -> tuple[int, str]:
    """The status and words for input the plan rules turned down."""
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return 422, str(first.get("msg", "that is not valid")).removeprefix("Value error, ")
    return exc.status_code, exc.message


@router.get("/plans/{plan_id}")
def show_plan(
    plan_id: str,
    request: Request,
    viewer: SignedIn,
    db: DB,
    services: Services,
    version: VersionQuery = None,
) -> Response:
    return plan_page(request, viewer, db, services, plan_id, version=version)


@router.post("/plans/{plan_id}/progress")
def log_progress(
    plan_id: str,
    request: Request,
    viewer: SignedIn,
    form: CheckedForm,
    db: DB,
    services: Services,
) -> Response:
    milestone_id = form_text(form, "milestone_id")
    try:
        data = ProgressIn(milestone_id=milestone_id, status=form_text(form, "status"))
        service.log_progress(db, actor=viewer.principal, plan_id=plan_id, data=data)
    except (ValidationError, InvalidField, RuleViolation, NotAllowed) as exc:
        # Nothing of a refused change may be committed with the page that reports it.
        db.rollback()
        code, message = _refused(exc)
        return plan_page(
            request,
            viewer,
            db,
            services,
            plan_id,
            status_code=code,
            error=message,
            error_form="progress",
        )
    shown = quote(milestone_id, safe="")
    return see_other(f"/plans/{plan_id}?done=progress&milestone={shown}#m-{shown}")


@router.post("/plans/{plan_id}/accept")
def accept_plan(
    plan_id: str,
    request: Request,
    viewer: SignedIn,
    form: CheckedForm,
    db: DB,
    services: Services,
) -> Response:
    del form
    try:
        service.accept_plan(db, actor=viewer.principal, plan_id=plan_id)
    except (RuleViolation, NotAllowed) as exc:
        # Nothing of a refused change may be committed with the page that reports it.
        db.rollback()
        code, message = _refused(exc)
        return plan_page(
            request,
            viewer,
            db,
            services,
            plan_id,
            status_code=code,
            error=message,
            error_form="accept",
        )
    return see_other(f"/plans/{plan_id}?done=accepted")


@router.post("/plans/{plan_id}/revise")
def revise_plan(
    plan_id: str,
    request: Request,
    viewer: SignedIn,
    form: CheckedForm,
    db: DB,
    services: Services,
) -> Response:
    instruction = form_text(form, "instruction")
    try:
        service.revise_plan(
            db,
            actor=viewer.principal,
            plan_id=plan_id,
            data=PlanRevise(instruction=instruction),
            today=services.clock.today(),
            drafter=services.plan_drafter,
            notes_index=services.notes_index,
        )
    except (ValidationError, InvalidField, RuleViolation, NotAllowed) as exc:
        # Nothing of a refused change may be committed with the page that reports it.
        db.rollback()
        code, message = _refused(exc)
        return plan_page(
            request,
            viewer,
            db,
            services,
            plan_id,
            status_code=code,
            error=message,
            error_form="revise",
            instruction=instruction,
        )
    return see_other(f"/plans/{plan_id}?done=revised#plan-top")


@router.get("/plans/{plan_id}/print")
def print_plan(
    plan_id: str,
    request: Request,
    viewer: SignedIn,
    db: DB,
    services: Services,
    version: VersionQuery = None,
) -> Response:
    plan = service.read_plan(db, actor=viewer.principal, plan_id=plan_id, version=version)
    names = service.member_names(db, plan.match_id)
    return render(
        request,
        "plan_print.html",
        viewer=viewer,
        plan=plan,
        names=names,
        owner_name=names.get(plan.owner_id, "A member"),
        health=health_for(db, viewer, services, plan_id),
        budget=_time_budget(db, viewer, plan),
        minutes=minutes_text,
        numbers=citation_numbers(plan.citations),
        status_labels=STATUS_LABELS,
        health_labels=HEALTH_LABELS,
        plan_status_labels=PLAN_STATUS_LABELS,
    )


def _file_name(owner: str, version: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", owner.lower()).strip("-") or "plan"
    return f"plan-{slug}-v{version}.md"


@router.get("/plans/{plan_id}/plan.md")
def plan_markdown_file(
    plan_id: str, viewer: SignedIn, db: DB, version: VersionQuery = None
) -> Response:
    """The API's Markdown export (`GET /v1/plans/{id}?format=md`), as a download."""
    plan = service.read_plan(db, actor=viewer.principal, plan_id=plan_id, version=version)
    names = service.member_names(db, plan.match_id)
    return Response(
        plan_markdown(plan, names),
        media_type="text/markdown; charset=utf-8",
        headers={
            "Content-Disposition": (
                f'attachment; filename="{_file_name(names.get(plan.owner_id, ""), plan.version)}"'
            ),
            "Cache-Control": "no-store",
        },
    )
