"""Who is talking and what the database says about them, read with their rights: the
profile, the open matches, the plan a message is about."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.auth import Principal
from assistant.chat import intents
from assistant.matching.models import WORKING_STATUSES, MatchOut
from assistant.matching.service import list_matches, match_out
from assistant.people.models import ParticipantOut
from assistant.people.service import get_participant, participant_out
from assistant.plans.models import Plan, PlanOut, PlanVersion
from assistant.plans.service import plan_out, visible_plan
from assistant.web import AppServices


@dataclass(frozen=True)
class MatchesMeant:
    """The caller's working matches, the ones a message names by a partner's name, and a
    name after "with" that is nobody's partner (said back, never guessed)."""

    working: list[MatchOut]
    named: list[MatchOut]
    unknown_name: str | None


@dataclass
class ChatCaller:
    """One participant's turn: the unit of work, who they are, and the app's services.
    Every read and every command goes through here, so both assistants see and change
    exactly what the caller could by hand."""

    db: Session
    actor: Principal
    services: AppServices

    def me(self) -> ParticipantOut:
        return participant_out(get_participant(self.db, self.actor.id))

    def working_matches(self) -> list[MatchOut]:
        return [
            match_out(self.db, m)
            for m in list_matches(self.db, actor=self.actor)
            if m.status in WORKING_STATUSES
        ]

    def others(self, match: MatchOut) -> str:
        """The other members of a match by name, as a reply says who a match is with."""
        names = [m.name for m in match.members if m.participant_id != self.actor.id]
        return " and ".join(names) or "nobody else"

    def names_partner(self, match: MatchOut, said: set[str]) -> bool:
        """Whether the words said include a name of someone else in the match."""
        return any(
            intents.words(member.name) & said
            for member in match.members
            if member.participant_id != self.actor.id
        )

    def matches_meant(self, message: str) -> MatchesMeant:
        matches = self.working_matches()
        said = intents.words(message)
        named = [m for m in matches if self.names_partner(m, said)]
        partner = intents.partner_named(message)
        unknown = partner if partner is not None and not named else None
        return MatchesMeant(working=matches, named=named, unknown_name=unknown)

    def newest_own_plan(self, message: str = "") -> PlanOut | None:
        """The plan the conversation is about: the caller's own plan with the newest
        version (the one the assistant drafted or revised last), in the match the
        message names by a partner's name when it names one ("accept my plan with
        Robin" must not accept the plan with Alex)."""
        query = (
            select(Plan)
            .join(
                PlanVersion,
                (PlanVersion.plan_id == Plan.id) & (PlanVersion.version == Plan.current_version),
            )
            .where(Plan.owner_id == self.actor.id)
        )
        if message:
            named = self.matches_meant(message).named
            if len(named) == 1:
                query = query.where(Plan.match_id == named[0].id)
        row = self.db.scalar(query.order_by(PlanVersion.created_at.desc(), Plan.id.desc()).limit(1))
        if row is None:
            return None
        plan, _ = visible_plan(self.db, self.actor, row.id)
        return plan_out(self.db, plan)

    def own_plan_in(self, match_id: str) -> str | None:
        """The id of the caller's plan in a match, if they have one."""
        return self.db.scalar(
            select(Plan.id).where(Plan.match_id == match_id, Plan.owner_id == self.actor.id)
        )
