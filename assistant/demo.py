"""A small realistic demo program, so a newcomer can explore Tandem at once.

Built through the same services the API uses, so the demo obeys every rule a real
program does (capacity, reporting lines, group sizes, who may read which note) and its
audit trail is real. Plans are drafted by the offline composer over the indexed skill
playbooks, as the app drafts them, then accepted and worked on; notes and action items
are written here by hand, because they are what a newcomer reads first. Every date is
relative to today, so the program is always mid-flight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.auth import Principal
from assistant.drafting.composer import ComposerDrafter
from assistant.drafting.playbooks import PlaybookLibrary
from assistant.matching.models import MemberIn
from assistant.matching.service import create_match
from assistant.people.models import ParticipantCreate
from assistant.people.service import create_participant
from assistant.plans.models import PlanCreate, PlanOut, ProgressIn
from assistant.plans.service import accept_plan, create_plan, log_progress, plan_out
from assistant.programs.models import Cadence, Program, ProgramCreate
from assistant.programs.service import create_program
from assistant.retrieval.notes import NoteIndex
from assistant.sessions.models import (
    ActionItemIn,
    MentoringSession,
    Note,
    NoteCreate,
    SessionCreate,
    SessionUpdate,
    Visibility,
)
from assistant.sessions.service import (
    add_note,
    indexable_note,
    schedule_session,
    set_action_item_done,
    update_session,
)

DEMO_PROGRAM = "Spring Growth Cohort (demo)"
DEMO_ACTOR = Principal(kind="staff", id="demo-loader", name="tandem demo")
SESSION_HOUR = time(15, 0)


class DemoAlreadyLoaded(Exception):
    pass


class DemoGuidanceMissing(Exception):
    """The skill playbooks are not in the guidance index: plans would have no activities."""


@dataclass
class DemoPerson:
    name: str
    title: str
    stage: str
    roles: list[str]
    id: str
    key: str


@dataclass
class DemoMatchRef:
    id: str
    mode: str
    members: list[str]
    plans: dict[str, str] = field(default_factory=dict)  # owner name -> plan id


@dataclass
class DemoSummary:
    program_id: str
    program_name: str
    people: list[DemoPerson] = field(default_factory=list)
    match_refs: list[DemoMatchRef] = field(default_factory=list)
    at_risk_plan_id: str = ""
    note_ids: list[str] = field(default_factory=list)
    plans: int = 0
    sessions: int = 0
    notes: int = 0

    @property
    def matches(self) -> int:
        return len(self.match_refs)


def _goal(text: str, skills: list[str], target: int, weeks: int) -> dict[str, Any]:
    return {"text": text, "skills": skills, "target_level": target, "horizon_weeks": weeks}


# fmt: off
# ruff: noqa: E501  (one profile per block reads better than wrapped calls)
# Profiles as a program would enter them; "manager" names another demo participant.
PEOPLE: list[dict[str, Any]] = [
    {"name": "Dana Okafor", "career_stage": "executive", "years_experience": 22,
     "department": "Engineering", "title": "VP Engineering", "roles": ["mentor"],
     "skills": [("strategic_thinking", 5), ("people_management", 5), ("negotiation", 4)],
     "goals": [_goal("Get fluent with the AI tools my teams now use daily", ["digital_tools"], 3, 8)],
     "mentor_capacity": 2, "timezone": "America/New_York"},
    {"name": "Priya Raman", "career_stage": "senior", "years_experience": 12,
     "department": "Engineering", "title": "Staff Engineer", "roles": ["mentor"],
     "skills": [("system_design", 5), ("technical_leadership", 4), ("code_review", 5)],
     "goals": [], "mentor_capacity": 2, "timezone": "Europe/Berlin", "manager": "Dana Okafor"},
    {"name": "Marcus Bell", "career_stage": "senior", "years_experience": 10,
     "department": "Product", "title": "Group Product Manager", "roles": ["mentor"],
     "skills": [("stakeholder_management", 5), ("public_speaking", 4), ("writing", 4)],
     "goals": [], "mentor_capacity": 2, "timezone": "Europe/London"},
    {"name": "Sam Rivera", "career_stage": "early", "years_experience": 1,
     "department": "Payments", "title": "Software Engineer", "roles": ["mentee"],
     "skills": [("public_speaking", 2), ("code_review", 2), ("digital_tools", 4)],
     "goals": [_goal("Present our team's work at the quarterly all-hands", ["public_speaking"], 4, 12)],
     "timezone": "Europe/Berlin"},
    {"name": "Lena Fischer", "career_stage": "early", "years_experience": 2,
     "department": "Payments", "title": "Software Engineer", "roles": ["mentee", "peer"],
     "skills": [("system_design", 2), ("writing", 3), ("data_analysis", 3)],
     "goals": [_goal("Design and defend a service end to end", ["system_design"], 4, 16)],
     "timezone": "Europe/Berlin"},
    {"name": "Tom Nguyen", "career_stage": "mid", "years_experience": 5,
     "department": "Platform", "title": "Senior Engineer", "roles": ["peer"],
     "skills": [("code_review", 4), ("giving_feedback", 2), ("system_design", 3)],
     "goals": [_goal("Give feedback that lands, in reviews and 1:1s", ["giving_feedback"], 4, 8)],
     "timezone": "Europe/Amsterdam"},
    {"name": "Aisha Khan", "career_stage": "mid", "years_experience": 6,
     "department": "Data", "title": "Data Scientist", "roles": ["peer"],
     "skills": [("giving_feedback", 4), ("data_analysis", 5), ("code_review", 2)],
     "goals": [_goal("Review code with the rigour I bring to analysis", ["code_review"], 4, 8)],
     "timezone": "Europe/Paris"},
    {"name": "Jonas Weber", "career_stage": "mid", "years_experience": 4,
     "department": "Payments", "title": "Engineer", "roles": ["mentee"],
     "skills": [("technical_leadership", 2), ("delegation", 1)],
     "goals": [_goal("Lead my first cross-team project as tech lead", ["technical_leadership", "delegation"], 4, 24)],
     "timezone": "Europe/Berlin", "manager": "Priya Raman"},
    {"name": "Mei Chen", "career_stage": "early", "years_experience": 3,
     "department": "Design", "title": "Product Designer", "roles": ["mentor", "peer"],
     "skills": [("digital_tools", 5), ("presentation_design", 4), ("writing", 4)],
     "goals": [_goal("Negotiate scope with product partners", ["negotiation"], 3, 12)],
     "mentor_capacity": 1, "timezone": "America/New_York"},
    {"name": "Rafael Costa", "career_stage": "mid", "years_experience": 7,
     "department": "Sales Engineering", "title": "Solutions Engineer", "roles": ["peer"],
     "skills": [("negotiation", 4), ("public_speaking", 4), ("time_management", 2)],
     "goals": [_goal("Protect focus time without dropping customers", ["time_management"], 4, 6)],
     "timezone": "America/Sao_Paulo"},
    {"name": "Hana Sato", "career_stage": "mid", "years_experience": 5,
     "department": "Operations", "title": "Program Manager", "roles": ["peer"],
     "skills": [("project_management", 5), ("time_management", 4), ("networking", 2)],
     "goals": [_goal("Build a network outside operations", ["networking"], 3, 10)],
     "timezone": "Asia/Tokyo"},
    {"name": "Olu Adeyemi", "career_stage": "mid", "years_experience": 6,
     "department": "Engineering", "title": "Engineering Manager", "roles": ["peer"],
     "skills": [("people_management", 3), ("networking", 4), ("conflict_resolution", 2)],
     "goals": [_goal("Handle conflict in my team early and calmly", ["conflict_resolution"], 4, 12)],
     "timezone": "Europe/London"},
    {"name": "Grace Li", "career_stage": "mid", "years_experience": 8,
     "department": "HR", "title": "People Partner", "roles": ["peer"],
     "skills": [("conflict_resolution", 5), ("coaching", 4), ("project_management", 2)],
     "goals": [_goal("Run programs with a real project plan", ["project_management"], 4, 12)],
     "timezone": "Europe/Dublin"},
    {"name": "Noah Schmidt", "career_stage": "early", "years_experience": 1,
     "department": "Platform", "title": "Engineer", "roles": ["mentee"],
     "skills": [("system_design", 3), ("writing", 2)],
     "goals": [_goal("Write design docs others can act on", ["writing"], 4, 10)],
     "timezone": "Europe/Berlin"},
    {"name": "Ines Moreau", "career_stage": "senior", "years_experience": 11,
     "department": "Finance", "title": "Finance Director", "roles": ["mentor", "mentee"],
     "skills": [("negotiation", 5), ("strategic_thinking", 4), ("digital_tools", 2)],
     "goals": [_goal("Automate my reporting with modern data tools", ["digital_tools"], 4, 8)],
     "mentor_capacity": 1, "timezone": "Europe/Paris"},
    {"name": "Kwame Boateng", "career_stage": "early", "years_experience": 1,
     "department": "Data", "title": "Analyst", "roles": ["mentor", "mentee"],
     "skills": [("digital_tools", 5), ("data_analysis", 4), ("public_speaking", 1)],
     "goals": [_goal("Speak up in leadership meetings", ["public_speaking"], 3, 12)],
     "mentor_capacity": 1, "timezone": "Africa/Accra"},
    {"name": "Elena Petrova", "career_stage": "mid", "years_experience": 5,
     "department": "Product", "title": "Product Manager", "roles": ["mentee"],
     "skills": [("stakeholder_management", 2), ("strategic_thinking", 2)],
     "goals": [_goal("Say no to stakeholders without losing them", ["stakeholder_management"], 4, 12)],
     "timezone": "Europe/Sofia"},
    {"name": "Ben Carter", "career_stage": "early", "years_experience": 2,
     "department": "Support", "title": "Support Engineer", "roles": ["mentee"],
     "skills": [("receiving_feedback", 2)],
     "goals": [_goal("Ask for feedback on my first escalation write-up", ["receiving_feedback"], 3, 2)],
     "timezone": "America/Chicago"},
    {"name": "Yusuf Demir", "career_stage": "senior", "years_experience": 9,
     "department": "Support", "title": "Support Lead", "roles": ["mentor"],
     "skills": [("receiving_feedback", 5), ("giving_feedback", 5), ("coaching", 4)],
     "goals": [], "mentor_capacity": 3, "timezone": "Europe/Istanbul"},
    {"name": "Zoe Martin", "career_stage": "mid", "years_experience": 4,
     "department": "Marketing", "title": "Content Lead", "roles": ["peer"],
     "skills": [("writing", 5), ("presentation_design", 3), ("data_analysis", 2)],
     "goals": [_goal("Use data to back my content bets", ["data_analysis"], 3, 8)],
     "timezone": "Europe/Madrid"},
]

# fmt: on


@dataclass(frozen=True)
class Todo:
    """An action item: `due` days after the session it was agreed in. Items whose date
    has passed were done, unless `slipped`: the lapsed pair's promise still open."""

    text: str
    owner: str
    due: int
    slipped: bool = False


@dataclass(frozen=True)
class Said:
    """A note on a session, in its author's words."""

    author: str
    text: str
    visibility: Visibility = "match"
    todos: tuple[Todo, ...] = ()


@dataclass(frozen=True)
class Meeting:
    days_ago: int
    title: str
    notes: tuple[Said, ...]
    cancelled: bool = False


@dataclass(frozen=True)
class DemoMatch:
    mode: str
    members: tuple[tuple[str, str], ...]  # (name, role)
    started_days_ago: int
    meetings: tuple[Meeting, ...]
    next_session: tuple[int, str] | None  # (days ahead, title); None: nothing booked
    # What each plan owner wrote when logging progress, one line per milestone in order.
    progress: dict[str, tuple[str, ...]]
    # The lapsed match: its latest milestone due stays open, so its plan is at risk.
    lapsed: bool = False
    # When the plans were drafted, if later than the match began (days ago).
    plans_days_ago: int | None = None


def _said(author: str, text: str, *todos: Todo, visibility: Visibility = "match") -> Said:
    return Said(author, text, visibility, todos)


# Each match tells a short story a program manager would recognise: who is flying, who
# is stuck, who finished early, and the one pair that has quietly stopped meeting.
# fmt: off
MATCHES: list[DemoMatch] = [
    DemoMatch(
        mode="mentor",
        members=(("Marcus Bell", "mentor"), ("Sam Rivera", "mentee")),
        started_days_ago=58,
        meetings=(
            Meeting(56, "Kick-off: the all-hands slot", (
                _said("Marcus Bell",
                      "Sam wants the payments slot at the next all-hands: seven minutes, about "
                      "300 people. Hardest part by their own account is the first 30 seconds: "
                      "talks fast, looks at the slides. We start small, with the Monday standup "
                      "update, out loud and without slides.",
                      Todo("Give the Monday standup update without reading from notes",
                           "Sam Rivera", 7),
                      Todo("Send Sam two all-hands talks that work, with a line on why",
                           "Marcus Bell", 3)),
            )),
            Meeting(42, "Pauses and openings", (
                _said("Marcus Bell",
                      "Sam recorded the standup on their phone: 2:10 for a 90-second slot, but "
                      "the opening was clean. Worked on one trick: say the headline, then pause "
                      "and count two. Sam says it feels like forever; on the recording you "
                      "barely notice it.",
                      Todo("Draft a three-point outline for the all-hands section: problem, "
                           "what we shipped, what's next",
                           "Sam Rivera", 10)),
            )),
            Meeting(27, "Outline review", (
                _said("Marcus Bell",
                      "Outline is good, 'what's next' is vague. Rewrote it together as one "
                      "sentence with a date in it. Sam runs the five-minute version at "
                      "Thursday's team demo and I'll ask their EM for two lines of feedback "
                      "afterwards.",
                      Todo("Run the 5-minute version at the team demo; ask two people for one "
                           "thing to keep and one to change",
                           "Sam Rivera", 6),
                      Todo("Ask Sam's EM how the team demo landed",
                           "Marcus Bell", 8)),
                _said("Sam Rivera",
                      "Didn't want to say it in the session: the Q&A scares me more than the "
                      "talk. What if someone from leadership asks about last month's outage?",
                      visibility="private"),
            )),
            Meeting(13, "Q&A practice", (
                _said("Marcus Bell",
                      "Team demo went well by every account I heard: on time, one slide too "
                      "many. Sam raised the Q&A nerves themselves, so we practised 'I don't "
                      "know yet, I'll come back to you by Friday' out loud three times. Next: a "
                      "full dry run with me playing a grumpy VP.",
                      Todo("Cut the deck to five slides and send it to Marcus",
                           "Sam Rivera", 5),
                      Todo("Write six hard questions for the dry run",
                           "Marcus Bell", 16)),
                _said("Marcus Bell",
                      "For the program team: Sam is ahead of plan and ready for the all-hands. "
                      "Worth confirming the slot with Internal Comms now, before it goes to "
                      "another team.",
                      visibility="staff"),
            )),
        ),
        next_session=(2, "Dry run with hard questions"),
        progress={
            "Sam Rivera": (
                "Team demo to the wider Payments group; two people from Risk asked for the deck "
                "afterwards.",
                "Dry run with Marcus booked; the all-hands slot is pencilled in.",
            ),
        },
    ),
    DemoMatch(
        mode="mentor",
        members=(("Priya Raman", "mentor"), ("Lena Fischer", "mentee")),
        started_days_ago=73,
        meetings=(
            Meeting(71, "Picking a real design", (
                _said("Priya Raman",
                      "Lena wants to own a design from blank page to review. We picked a real "
                      "one: the refund-retry service Payments needs this quarter. Homework is "
                      "reading, not writing, for now.",
                      Todo("Read the ledger service design doc and list three decisions you "
                           "would question",
                           "Lena Fischer", 10),
                      Todo("Share the design review checklist Platform uses",
                           "Priya Raman", 2)),
            )),
            Meeting(57, "Failure modes", (
                _said("Priya Raman",
                      "Lena's three questions were sharp; the one about idempotency keys is the "
                      "heart of refund-retry. Walked the failure modes on the whiteboard: what "
                      "happens when the PSP times out after it has already charged?",
                      Todo("Sketch the refund-retry data flow on one page, boxes and arrows "
                           "only",
                           "Lena Fischer", 12)),
            )),
            Meeting(43, "The sketch", (
                _said("Priya Raman",
                      "Sketch is solid; the retry queue had no dead-letter path, and Lena found "
                      "it herself when I asked 'and after five failures?'. We talked about "
                      "writing decisions as 'we chose X over Y because Z'.",
                      Todo("Write the Alternatives section with the two options you rejected",
                           "Lena Fischer", 10)),
            )),
            Meeting(28, "First full draft", (
                _said("Priya Raman",
                      "First full draft. The structure is good; the capacity numbers are "
                      "guesses. Agreed she gets last quarter's real refund volumes from the "
                      "data team instead of inventing them.",
                      Todo("Get last quarter's refund volumes from Data and redo the capacity "
                           "estimate",
                           "Lena Fischer", 9),
                      Todo("Book a 30-minute dry-run slot with two Platform reviewers",
                           "Priya Raman", 7)),
            )),
            Meeting(11, "Dry run debrief", (
                _said("Priya Raman",
                      "Dry run with Tom and Anke from Platform. Lena defended the queue choice "
                      "well and gave way on the retention period without getting defensive. The "
                      "real architecture review is in three weeks.",
                      Todo("Fold the dry-run comments into v2 and circulate it",
                           "Lena Fischer", 14)),
                _said("Lena Fischer",
                      "Felt like an impostor for the first ten minutes of the dry run, then it "
                      "was fine. Note to self: the first ten minutes are always the worst.",
                      visibility="private"),
            )),
        ),
        next_session=(4, "Review prep"),
        progress={
            "Lena Fischer": (
                "Refund-retry design doc v1: alternatives, dead-letter path, real volumes. Dry "
                "run done with Platform.",
                "Architecture review in three weeks; the migration plan is the open part.",
            ),
        },
    ),
    DemoMatch(
        mode="near_peer",
        members=(("Mei Chen", "mentor"), ("Noah Schmidt", "mentee")),
        started_days_ago=32,
        meetings=(
            Meeting(28, "Where's the ask?", (
                _said("Mei Chen",
                      "Noah's docs get approved and then nobody acts on them. We read his last "
                      "one together: the actual decision is on page four. Rule for now: the ask "
                      "goes in the first three lines.",
                      Todo("Rewrite the caching doc's intro so the ask is in the first three "
                           "lines",
                           "Noah Schmidt", 7)),
            )),
            Meeting(14, "The skim test", (
                _said("Mei Chen",
                      "Much better intro. Tried the skim test: I read only the headings and "
                      "bold text for 60 seconds and said what I thought the doc wanted. Got it "
                      "half right. Headings need to be sentences, not labels.",
                      Todo("Turn every heading in the caching doc into a sentence that states "
                           "its point",
                           "Noah Schmidt", 7),
                      Todo("Send Noah the one-page decision template the design team uses",
                           "Mei Chen", 3)),
            )),
            Meeting(3, "Going solo", (
                _said("Mei Chen",
                      "The caching doc went out on Monday and two teams replied with dates, not "
                      "questions. Noah wants to write the next one without me reading drafts "
                      "first, which is the whole point.",
                      Todo("Write the next doc solo and ask one reader to do the skim test",
                           "Noah Schmidt", 12),
                      Todo("Find a doc with a really good Options table to share",
                           "Mei Chen", 5)),
            )),
        ),
        next_session=(11, "Solo doc review"),
        progress={
            "Noah Schmidt": (
                "Caching doc: two teams replied with dates, not questions.",
                "Next one is the log-retention proposal, written solo.",
            ),
        },
    ),
    DemoMatch(
        mode="peer",
        members=(("Tom Nguyen", "peer"), ("Aisha Khan", "peer")),
        started_days_ago=36,
        meetings=(
            Meeting(34, "Setting up the swap", (
                _said("Tom Nguyen",
                      "Swap agreed: Aisha reviews two of my PRs a week and I review her "
                      "notebook-to-service PRs. My side is feedback that lands; hers is "
                      "reviewing code with the rigour she brings to analysis.",
                      Todo("Tag Aisha on the retry-budget PR",
                           "Tom Nguyen", 3),
                      Todo("Pick one merged Platform PR and note what its best review comment "
                           "did",
                           "Aisha Khan", 5)),
            )),
            Meeting(27, "Comments that read like orders", (
                _said("Aisha Khan",
                      "Tom's review comments read like orders ('change this'). We rewrote three "
                      "as an observation plus a question. He said the third one sounded fake; "
                      "fair, we kept it plainer.",
                      Todo("Write your next five review comments as observation plus question, "
                           "in your own voice",
                           "Tom Nguyen", 6)),
            )),
            Meeting(20, "Tests first", (
                _said("Tom Nguyen",
                      "Aisha caught a race in my cache invalidation that two Platform reviewers "
                      "missed. Her trick: read the tests first and ask what they don't cover. "
                      "I'm stealing it.",
                      Todo("Review Tom's next PR tests-first and time how long it takes",
                           "Aisha Khan", 5)),
                _said("Aisha Khan",
                      "Tom is more open to pushback than I expected. I'm the one who gets "
                      "defensive when he questions my review comments. Work on that.",
                      visibility="private"),
            )),
            Meeting(13, "Rehearsing a hard conversation", (
                _said("Aisha Khan",
                      "Role-played the conversation Tom has been putting off: telling Luca his "
                      "design isn't ready. Twice. The second time he opened with what was "
                      "genuinely good and it still sounded honest.",
                      Todo("Have the design conversation with Luca this week",
                           "Tom Nguyen", 4)),
            )),
            Meeting(6, "After the Luca conversation", (
                _said("Tom Nguyen",
                      "The talk with Luca went fine; he asked for a follow-up, which I take as "
                      "a good sign. Aisha did her first solo review on the payments repo: 11 "
                      "comments, 2 blocking, each with a reason.",
                      Todo("Use the review checklist on two PRs outside Data",
                           "Aisha Khan", 8),
                      Todo("Ask Luca for one line on how the conversation felt to him",
                           "Tom Nguyen", 7)),
            )),
        ),
        next_session=(1, "Weekly swap"),
        progress={
            "Tom Nguyen": (
                "Review feedback within a day for four weeks running; Aisha checked the "
                "timestamps.",
                "Had the conversation with Luca; waiting to see whether it sticks.",
            ),
            "Aisha Khan": (
                "Blocking, suggestion or nit on every comment since week one.",
                "Caught the cache race in Tom's PR; a design-level catch is the next step.",
            ),
        },
    ),
    DemoMatch(
        mode="reverse",
        members=(("Kwame Boateng", "mentor"), ("Ines Moreau", "mentee")),
        started_days_ago=27,
        meetings=(
            Meeting(25, "The Monday copy-paste", (
                _said("Kwame Boateng",
                      "Ines spends every Monday morning copy-pasting three exports into the "
                      "board pack, so that's our project. Set up notebooks on her laptop; she "
                      "ran her first cell and asked why anyone still uses macros.",
                      Todo("Export last month's three reports as CSV into the shared folder",
                           "Ines Moreau", 5),
                      Todo("Write a starter notebook that loads the three CSVs",
                           "Kwame Boateng", 6)),
            )),
            Meeting(11, "Joins, with her own data", (
                _said("Kwame Boateng",
                      "Ines rewrote the merge step herself once I explained joins with her own "
                      "cost-centre data. The Monday job is down from two hours to 25 minutes. "
                      "Next: schedule it so it has run before she gets in.",
                      Todo("Add the FX sheet to the notebook and check totals against the board "
                           "pack",
                           "Ines Moreau", 10),
                      Todo("Show Ines how to schedule the notebook",
                           "Kwame Boateng", 14)),
                _said("Ines Moreau",
                      "Not for Kwame's eyes yet: he is an excellent teacher, patient and "
                      "precise. Worth asking him to run a session for the finance leads.",
                      visibility="staff"),
            )),
        ),
        next_session=(3, "Scheduling the Monday job"),
        progress={
            "Ines Moreau": (
                "Monday merge down from two hours to 25 minutes; scheduling it is next.",
            ),
        },
    ),
    DemoMatch(
        mode="group",
        members=(("Olu Adeyemi", "peer"),
                 ("Grace Li", "peer"),
                 ("Hana Sato", "peer"),
                 ("Rafael Costa", "peer")),
        started_days_ago=45,
        meetings=(
            Meeting(43, "Kick-off", (
                _said("Grace Li",
                      "Four goals, one hour, so we time-box: twelve minutes each, rotating who "
                      "goes first. Olu goes first next time because his team situation is live.",
                      Todo("Write down the two recurring disagreements in your team, facts only",
                           "Olu Adeyemi", 7),
                      Todo("Log where your time goes for a week, in 30-minute blocks",
                           "Rafael Costa", 7),
                      Todo("List five people outside Operations you'd like to know, and why",
                           "Hana Sato", 7),
                      Todo("Turn the spring onboarding program into a one-page plan with owners "
                           "and dates",
                           "Grace Li", 10)),
            )),
            Meeting(29, "Time logs and disagreements", (
                _said("Hana Sato",
                      "Rafael's time log: 40% of his week is customer calls that could have "
                      "been emails. Olu's two disagreements turn out to be one: who owns the "
                      "on-call handover. Grace's one-pager had no dates, and Rafael of all "
                      "people pointed it out.",
                      Todo("Block two 90-minute focus slots a week and tell your top three "
                           "customers when you're reachable",
                           "Rafael Costa", 7),
                      Todo("Talk to both leads about on-call handovers, separately, before the "
                           "team meeting",
                           "Olu Adeyemi", 10),
                      Todo("Add dates and a risk list to the onboarding plan",
                           "Grace Li", 7)),
                _said("Olu Adeyemi",
                      "I'd avoided the handover topic with Piotr for a month. The group didn't "
                      "let me off the hook, which is what I needed.",
                      visibility="private"),
            )),
            Meeting(14, "Wins and a presentation", (
                _said("Olu Adeyemi",
                      "Rafael has kept his focus blocks three weeks running and no customer "
                      "complained. Hana had coffee with two people from Sales Engineering "
                      "(Rafael's intro). My handover conversations happened: not solved, but "
                      "calmer. Grace presents her plan to HR leadership next week.",
                      Todo("Ask one of your new contacts to introduce you to someone in Product",
                           "Hana Sato", 16),
                      Todo("Send the group the plan you present to HR leadership",
                           "Grace Li", 12)),
            )),
        ),
        next_session=(2, "Group session: Grace's debrief"),
        progress={
            "Olu Adeyemi": (
                "Handover rota agreed in writing by both leads and kept for three weeks.",
                "Offered to mediate the release-freeze argument between QA and Mobile.",
            ),
            "Grace Li": (
                "Spring onboarding delivered against the one-pager; HR leadership signed it "
                "off.",
                "Autumn program started with IT and Facilities; the scope talk with IT is next "
                "week.",
            ),
            "Hana Sato": (
                "Contact log at five weeks, two Sales Engineering coffees in it.",
            ),
            "Rafael Costa": (
                "Hit my three weekly priorities in three of four weeks (missed the week of the "
                "customer outage).",
                "Dropped two status calls and moved a third to email: two and a half hours a "
                "week back.",
                "Six weeks of focus blocks and no customer complaints. Keeping them.",
            ),
        },
    ),
    DemoMatch(
        mode="flash",
        members=(("Yusuf Demir", "mentor"), ("Ben Carter", "mentee")),
        started_days_ago=9,
        meetings=(
            Meeting(7, "Flash: asking for feedback", (
                _said("Yusuf Demir",
                      "Ben's question, word for word: \"How do I ask for feedback on my "
                      "escalation write-up without sounding like I'm fishing for praise?\" We "
                      "landed on asking one narrow question (\"Was the timeline clear enough to "
                      "act on?\") of the person who had to act on it, not his manager. One step "
                      "to try: send it to the on-call engineer with that question.",
                      Todo("Send the write-up to the on-call engineer with one narrow question",
                           "Ben Carter", 3),
                      Todo("Bring the answer to the follow-up, even if it stings",
                           "Ben Carter", 12)),
            )),
        ),
        next_session=(5, "Flash follow-up"),
        progress={
            "Ben Carter": (
                "Brought the escalation write-up question to Yusuf.",
                "Asked the on-call engineer; my timeline was missing the first alert time.",
            ),
        },
    ),
    DemoMatch(
        mode="mentor",
        members=(("Dana Okafor", "mentor"), ("Elena Petrova", "mentee")),
        started_days_ago=38,
        meetings=(
            Meeting(36, "Yes to everything", (
                _said("Dana Okafor",
                      "Elena says yes to everything and then drowns. We mapped her stakeholders "
                      "on the whiteboard: two of them account for most of the asks. This "
                      "fortnight she practises one 'no, and here's what I can do'.",
                      Todo("Map your top eight stakeholders by influence and by how often they "
                           "ask for things",
                           "Elena Petrova", 7),
                      Todo("Say no to one low-priority request, with an alternative",
                           "Elena Petrova", 12)),
            )),
            Meeting(24, "The first no", (
                _said("Dana Okafor",
                      "Elena said no to the analytics dashboard request and offered a cut-down "
                      "version; the requester took it. The bigger one is next: Sales wants next "
                      "quarter's roadmap reopened. We rehearse that reply next time.",
                      Todo("Draft the two-paragraph reply to Sales on reopening the roadmap",
                           "Elena Petrova", 10, slipped=True),
                      Todo("Send Elena the trade-off one-pager I use with the exec team",
                           "Dana Okafor", 5)),
                _said("Dana Okafor",
                      "Heads-up for the program team: I'm travelling for most of the next month "
                      "and may lose a slot or two with Elena. If it comes to that, please find "
                      "her someone for the Sales conversation.",
                      visibility="staff"),
            )),
            Meeting(10, "Sales reply rehearsal", (
            ), cancelled=True),
            Meeting(3, "Sales reply rehearsal (rebooked)", (
                _said("Elena Petrova",
                      "Second cancelled session in a row. I don't want to chase a VP for time. "
                      "Parking the Sales reply until we talk.",
                      visibility="private"),
            ), cancelled=True),
        ),
        next_session=None,
        progress={
            "Elena Petrova": (
                "Told my manager about the dashboard slip before her review; the Sales risk is "
                "still unraised.",
            ),
        },
        lapsed=True,
        # Elena wrote her plan after the first "no": its first step slipped a week ago,
        # overdue enough to worry about, not yet a plan off track.
        plans_days_ago=24,
    ),
]
# fmt: on


def _profile(raw: dict[str, Any], ids: dict[str, str]) -> ParticipantCreate:
    slug = raw["name"].lower().replace(" ", ".")
    return ParticipantCreate.model_validate(
        {
            "name": raw["name"],
            "email": f"{slug}@demo.tandem.example",
            "title": raw.get("title", ""),
            "department": raw["department"],
            "manager_id": ids.get(raw.get("manager", "")),
            "career_stage": raw["career_stage"],
            "years_experience": raw["years_experience"],
            "languages": ["en"],
            "timezone": raw["timezone"],
            "hours_per_month": 4,
            "roles": raw["roles"],
            "skills": [{"skill": s, "level": lvl} for s, lvl in raw["skills"]],
            "goals": raw["goals"],
            "mentor_capacity": raw.get("mentor_capacity", 0),
            "preferred_modes": [],
        }
    )


def load_demo(
    session: Session, *, library: PlaybookLibrary, today: date | None = None
) -> DemoSummary:
    """Load the demo program. `library` is the app's playbook library over the indexed
    guidance: the plans are drafted by the offline composer exactly as the app drafts."""
    today = today or datetime.now(UTC).date()
    if session.scalar(select(Program.id).where(Program.name == DEMO_PROGRAM)):
        raise DemoAlreadyLoaded(f"the demo program '{DEMO_PROGRAM}' is already loaded")
    program = create_program(
        session,
        actor=DEMO_ACTOR,
        data=ProgramCreate(
            name=DEMO_PROGRAM,
            default_mode="mentor",
            starts_on=today - timedelta(days=90),
            ends_on=today + timedelta(days=180),
            cadence=Cadence(sessions_per_month=2, minutes=45),
        ),
    )
    summary = DemoSummary(program_id=program.id, program_name=program.name)
    ids: dict[str, str] = {}
    for raw in PEOPLE:
        created = create_participant(session, actor=DEMO_ACTOR, data=_profile(raw, ids))
        ids[raw["name"]] = created.id
        summary.people.append(
            DemoPerson(
                created.name,
                created.title,
                created.career_stage,
                list(created.roles),
                created.id,
                created.api_key,
            )
        )
    people = {p.name: Principal(kind="participant", id=p.id, name=p.name) for p in summary.people}
    loader = _Loader(session, ComposerDrafter(library), people, program.id, today, summary)
    for spec in MATCHES:
        loader.load(spec)
    return summary


@dataclass
class _Loader:
    session: Session
    drafter: ComposerDrafter
    people: dict[str, Principal]
    program_id: str
    today: date
    summary: DemoSummary

    def load(self, spec: DemoMatch) -> None:
        started = self.today - timedelta(days=spec.started_days_ago)
        match = create_match(
            self.session,
            actor=DEMO_ACTOR,
            mode=spec.mode,
            members=[
                MemberIn.model_validate({"participant_id": self.people[n].id, "role": r})
                for n, r in spec.members
            ],
            status="active",
            today=started,
            program_id=self.program_id,
        )
        ref = DemoMatchRef(id=match.id, mode=spec.mode, members=[n for n, _ in spec.members])
        self.summary.match_refs.append(ref)
        for name, role in spec.members:
            if role in ("mentee", "peer") and _has_goals(name):
                drafted_on = (
                    started
                    if spec.plans_days_ago is None
                    else self.today - timedelta(days=spec.plans_days_ago)
                )
                ref.plans[name] = self._plan(spec, match.id, name, drafted_on)
        if spec.lapsed:
            self.summary.at_risk_plan_id = next(iter(ref.plans.values()))
        for meeting in spec.meetings:
            self._meeting(match.id, meeting, match.session_minutes)
        if spec.next_session is not None:
            days, title = spec.next_session
            when = datetime.combine(self.today + timedelta(days=days), SESSION_HOUR, tzinfo=UTC)
            schedule_session(
                self.session,
                actor=DEMO_ACTOR,
                match_id=match.id,
                data=SessionCreate(
                    scheduled_at=when, duration_minutes=match.session_minutes, title=title
                ),
            )
            self.summary.sessions += 1

    def _plan(self, spec: DemoMatch, match_id: str, name: str, started: date) -> str:
        owner = self.people[name]
        plan = create_plan(
            self.session,
            actor=DEMO_ACTOR,
            match_id=match_id,
            data=PlanCreate(owner_id=owner.id),
            today=started,
            drafter=self.drafter,
        )
        drafted = plan_out(self.session, plan)
        if drafted.drafter != self.drafter.name:
            # A fallback plan has milestones but no activities: not a demo worth showing.
            raise DemoGuidanceMissing(
                f"the skill playbooks are not in the guidance index ({drafted.drafter}); "
                "run `tandem ingest` and load the demo again"
            )
        accept_plan(self.session, actor=owner, plan_id=plan.id)
        self._progress(drafted, owner, spec.progress.get(name, ()), lapsed=spec.lapsed)
        self.summary.plans += 1
        return plan.id

    def _progress(
        self, plan: PlanOut, owner: Principal, notes: tuple[str, ...], *, lapsed: bool
    ) -> None:
        """Milestones done in order up to today, the next one under way. Milestones are
        in level order with rising dates, so done-by-date never ticks a higher level
        while a lower one is open. In the lapsed match the latest one due slipped."""
        written = iter(notes)
        for objective in plan.objectives:
            milestones = objective.milestones
            current = next(
                (i for i, m in enumerate(milestones) if m.due_date >= self.today), len(milestones)
            )
            # The lapsed pair let the latest milestone due slip, while it is recent enough
            # to be a risk rather than a plan already off track.
            if (
                lapsed
                and current > 0
                and (self.today - milestones[current - 1].due_date).days <= 12
            ):
                current -= 1
            for position, milestone in enumerate(milestones[: current + 1]):
                assert milestone.id is not None  # stored milestones always have one
                log_progress(
                    self.session,
                    actor=owner,
                    plan_id=plan.id,
                    data=ProgressIn(
                        milestone_id=milestone.id,
                        status="done" if position < current else "in_progress",
                        note=next(written, ""),
                    ),
                )

    def _meeting(self, match_id: str, meeting: Meeting, minutes: int) -> None:
        when = datetime.combine(
            self.today - timedelta(days=meeting.days_ago), SESSION_HOUR, tzinfo=UTC
        )
        row = schedule_session(
            self.session,
            actor=DEMO_ACTOR,
            match_id=match_id,
            data=SessionCreate(scheduled_at=when, duration_minutes=minutes, title=meeting.title),
        )
        update_session(
            self.session,
            actor=DEMO_ACTOR,
            session_id=row.id,
            data=SessionUpdate(status="cancelled" if meeting.cancelled else "held"),
        )
        self.summary.sessions += 1
        for said in meeting.notes:
            self._note(row, said)

    def _note(self, row: MentoringSession, said: Said) -> None:
        note = add_note(
            self.session,
            actor=self.people[said.author],
            session_id=row.id,
            data=NoteCreate(
                text=said.text,
                visibility=said.visibility,
                action_items=[
                    ActionItemIn(
                        text=todo.text,
                        owner_id=self.people[todo.owner].id,
                        due_date=row.scheduled_at.date() + timedelta(days=todo.due),
                    )
                    for todo in said.todos
                ],
            ),
        )
        self.summary.notes += 1
        self.summary.note_ids.append(note.id)
        for item, todo in zip(note.action_items, said.todos, strict=True):
            if item.due_date is not None and item.due_date < self.today and not todo.slipped:
                # Ticked off by its owner the day before it was due.
                ticked = datetime.combine(item.due_date - timedelta(days=1), SESSION_HOUR, UTC)
                set_action_item_done(
                    self.session,
                    actor=self.people[todo.owner],
                    action_item_id=item.id,
                    done=True,
                    now=ticked,
                )


def _has_goals(name: str) -> bool:
    return any(p["name"] == name and p["goals"] for p in PEOPLE)


def index_demo_notes(session: Session, notes_index: NoteIndex, summary: DemoSummary) -> int:
    """Index the demo's notes for search and agenda drafting, after they are committed
    (the index never holds a note the database lacks). Answers the chunks written."""
    written = 0
    for note_id in summary.note_ids:
        note = session.get(Note, note_id)
        if note is not None:
            written += notes_index.index(
                indexable_note(note, session.get(MentoringSession, note.session_id))
            )
    return written


STAGE_NAMES = {
    "early": "early career",
    "mid": "mid-career",
    "senior": "senior",
    "executive": "executive",
}
MODE_NAMES = {
    "mentor": "mentoring",
    "near_peer": "near-peer mentoring",
    "reverse": "reverse mentoring",
    "peer": "peer pair",
    "group": "peer group",
    "flash": "flash mentoring",
}


def demo_keys_text(summary: DemoSummary, *, base_url: str, staff_key: str | None = None) -> str:
    """Every id and key of the demo as plain lines, one block per person, so nothing is
    cut at any terminal width and the same text can be kept in a file."""
    names = {p.id: p.name for p in summary.people}
    at_risk = next(
        (m, owner)
        for m in summary.match_refs
        for owner, plan_id in m.plans.items()
        if plan_id == summary.at_risk_plan_id
    )
    match, owner = at_risk
    partners = ", ".join(n for n in match.members if n != owner)
    lines = [
        f"Demo program '{summary.program_name}'",
        f"  program id  {summary.program_id}",
        f"  {len(summary.people)} participants, {summary.matches} matches, {summary.plans} "
        f"accepted plans, {summary.sessions} sessions, {summary.notes} notes",
        "",
        f"One plan needs attention: {owner}'s, in {MODE_NAMES[match.mode]} with {partners}.",
        "Ask Tandem why (after `tandem serve`): sign in as them in a browser at",
        f"  {base_url}/  and open  {base_url}/plans/{summary.at_risk_plan_id}",
        "or over the API:",
        f"  curl -H 'Authorization: Bearer <{owner}'s key>' "
        f"{base_url}/v1/plans/{summary.at_risk_plan_id}/health",
        "",
    ]
    if staff_key:
        lines += ["Staff key", f"  api key  {staff_key}", ""]
    memberships = {
        name: [m for m in summary.match_refs if name in m.members] for name in names.values()
    }
    lines.append("Participants")
    for person in summary.people:
        lines += [
            f"{person.name}, {person.title} ({STAGE_NAMES[person.stage]}; "
            f"{', '.join(person.roles)})",
            f"  id       {person.id}",
            f"  api key  {person.key}",
        ]
        for m in memberships[person.name]:
            others = ", ".join(n for n in m.members if n != person.name)
            lines.append(f"  match    {m.id}  {MODE_NAMES[m.mode]} with {others}")
            if person.name in m.plans:
                lines.append(f"  plan     {m.plans[person.name]}")
        if not memberships[person.name]:
            lines.append("  match    none yet: a pairing run can suggest one")
    return "\n".join(lines) + "\n"
