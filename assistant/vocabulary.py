"""The controlled vocabulary (modes, topics, career stages, skills) as API types.

Kept in step with docs/vocabulary.md; tests/test_vocabulary.py fails if they drift.
"""

from __future__ import annotations

from typing import Literal, get_args

Mode = Literal["mentor", "peer", "near_peer", "reverse", "group", "flash"]
CareerStage = Literal["early", "mid", "senior", "executive"]
Skill = Literal[
    "public_speaking",
    "technical_leadership",
    "delegation",
    "stakeholder_management",
    "code_review",
    "system_design",
    "negotiation",
    "time_management",
    "giving_feedback",
    "receiving_feedback",
    "networking",
    "writing",
    "data_analysis",
    "project_management",
    "people_management",
    "conflict_resolution",
    "strategic_thinking",
    "digital_tools",
    "presentation_design",
    "coaching",
]
Topic = Literal[
    "goal_setting",
    "development_planning",
    "session_structure",
    "agreements",
    "feedback",
    "active_listening",
    "questioning",
    "accountability",
    "motivation",
    "confidence",
    "career_growth",
    "leadership",
    "skill_practice",
    "progress_tracking",
    "challenges",
    "closing",
    "matching",
    "program_design",
    "remote",
    "inclusion",
    "shadowing",
    "cross_functional",
    "ai_assistance",
]
ParticipantRole = Literal["mentee", "mentor", "peer"]
MemberRole = Literal["mentor", "mentee", "peer"]

MODES: tuple[str, ...] = get_args(Mode)
CAREER_STAGES: tuple[str, ...] = get_args(CareerStage)
SKILLS: tuple[str, ...] = get_args(Skill)
TOPICS: tuple[str, ...] = get_args(Topic)

SKILL_LEVEL_NAMES = {1: "aware", 2: "beginner", 3: "practitioner", 4: "advanced", 5: "expert"}

# Modes where one member guides the other: exactly one mentor and one mentee.
GUIDED_MODES = frozenset({"mentor", "near_peer", "reverse", "flash"})
# Default rhythm of each mode, used when neither the match nor its program sets one.
DEFAULT_CADENCE: dict[str, tuple[int, int]] = {
    # mode: (sessions per month, minutes per session)
    "mentor": (2, 60),
    "near_peer": (2, 45),
    "reverse": (2, 45),
    "peer": (4, 30),
    "group": (2, 60),
    "flash": (1, 30),
}

# How a person reads a skill: "giving feedback", never the slug "giving_feedback".
SKILL_NAMES: dict[str, str] = {slug: slug.replace("_", " ") for slug in SKILLS}


def skill_name(slug: str) -> str:
    return SKILL_NAMES.get(slug, slug.replace("_", " "))
