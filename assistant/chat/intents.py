"""Reading a chat message without a model: which intent it has, and the plan slots in it.

Everything the offline assistant understands is in the tables below, so a reader can see
(and a test can pin) what phrasing works. Patterns are matched against the lower-cased
message; the first intent in table order whose pattern matches wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Intent = Literal[
    "cancel",
    "hold",
    "no_change",
    "session_info",
    "accept",
    "log_progress",
    "prepare_session",
    "recap",
    "revise",
    "explain",
    "draft_plan",
    "small_talk",
    "guidance",
]

_SESSION_WORDS = r"session|meeting|1:1|one-on-one|catch-up|sync|call"
_DAY_WORDS = (
    r"today|tomorrow|next week|mon(day)?|tue(sday)?|wed(nesday)?|thu(rsday)?|fri(day)?"
    r"|sat(urday)?|sun(day)?"
)

# Order is priority: "thanks, looks good, accept it" is an acceptance, not small talk;
# "make it 6 weeks" is a revision even though it mentions a duration.
INTENT_PATTERNS: tuple[tuple[Intent, tuple[str, ...]], ...] = (
    ("cancel", (r"^\s*(never ?mind|cancel|stop|forget (it|that)|not now)\b",)),
    (
        "accept",
        (
            r"\baccept\b",
            r"\bapprove\b",
            r"\blooks? (good|great|fine|right|perfect)\b",
            r"\bsounds (good|great|right)\b",
            r"\blgtm\b",
            r"\blet'?s (go with|do) (it|this|that)\b",
            r"\b(i'?ll|we'?ll) take it\b",
            r"\bconfirm (it|the plan|my plan)\b",
            r"\bworks for me\b",
            r"\b(happy|fine|good) with (it|this|that|the plan|my plan)\b",
            r"\block (it|this|that) in\b",
            r"\bfinali[sz]e\b",
        ),
    ),
    (
        "log_progress",
        (
            r"\bmark\b.*\b(done|complete|completed|finished|in progress|started|blocked)\b",
            r"\b(finished|completed|done with|did|started|starting|begun|stuck on|blocked on"
            r"|nailed|achieved|reached|wrapped up|knocked out|working on)\b.*\bmilestone\b",
            r"\b(log|record|update|tick off|check off|cross off)\b.*\bmilestone\b",
            r"\bmilestone\b.*\b(is|as|to)\s+(done|complete|finished|in progress|blocked)\b",
            # Only ever read as a negation ("I didn't start it"), which is read-only.
            r"\b(didn'?t|did not|haven'?t|have not|not yet)\s+(finish|complete|start|begin|do)\b"
            r".*\bmilestone\b",
            r"\b(finished|completed|done with|started|stuck on)\s*[\"'\u201c\u2018]",
        ),
    ),
    (
        "prepare_session",
        (
            r"\b(get|make) (me|us) ready for\b",
            r"\b(help (me|us) )?get ready\b",
            r"\bhelp (me|us) prep(are)?\b",
            r"\bprep(are)?( me| us)? for\b.*\bwith\b",
            rf"\bprep(are)?( me| us)? for\b.*\b({_SESSION_WORDS}|{_DAY_WORDS})\b",
            r"\bprep(are)?\b.*\b(session|meeting|1:1|one-on-one|catch-up)\b",
            r"\bagenda\b",
            r"\bnext (session|meeting|1:1)\b",
            r"\bplan (my|our|the) (next )?(session|meeting|1:1)\b",
        ),
    ),
    (
        "session_info",
        (
            r"\b(do|have) (i|we) (have|got) (a|any) (session|meeting|1:1)s?\b",
            r"\bis there (a|an|any) (session|meeting|agenda)\b",
        ),
    ),
    (
        "recap",
        (
            r"\blast (time|session|meeting|week'?s session)\b",
            r"\bwhat did (we|i) (agree|decide|discuss|say|cover|promise)\b",
            r"\brecap\b",
            r"\bwhere did we (leave|stop)\b",
            r"\b(my|our) (open )?action items\b",
            r"\bwhat('?s| is) (still )?open\b",
        ),
    ),
    (
        "revise",
        (
            r"\bmake it\b",
            r"\b(shorter|longer|quicker|faster|slower)\b",
            r"\bfewer hours\b",
            r"\b(less|more) time\b",
            r"\bonly (have|got)\b",
            r"\bcan only (spare|give|do|manage|find)\b",
            # The load, in the words people use for it ("that's a lot", "too much").
            r"\b(that'?s|it'?s|this is|that is|it is) (a lot|a bit much|too much|overwhelming)\b",
            r"\btoo (much|heavy|intense|ambitious|demanding)\b",
            r"\b(lighter|less intense|less demanding|less work|lower the load|ease off)\b",
            r"\bcut (it|this|that) down\b",
            r"\bspread (it|this|that)\b.*\bover\b",
            r"\b(do|finish|get through) (it|this|that|the plan) (in|within|over|by)\b",
            r"\bfocus on\b",
            r"\bstart with\b",
            r"\bprioriti[sz]e\b",
            r"\brevise\b",
            r"\bchange (the|my|it)\b",
            r"\b(finish|be done|done) (in|within)\b",
            r"\binstead\b",
        ),
    ),
    (
        "explain",
        (
            r"\bexplain\b",
            r"\bwalk me through\b",
            r"\bshow me (my|the) plan\b",
            r"\bwhat('?s| is) (in )?(my|the) plan\b",
            r"\bwhy (this|that|these|those|the)\b",
            r"\btell me (more )?about (my|the|this) plan\b",
            r"\bsummar(y|ise|ize)\b",
            r"\b(my|the) (plan|milestones)\b.*\?\s*$",
        ),
    ),
    (
        "draft_plan",
        (
            r"\b(draft|make|create|write|build|start|need|want|give me|get|new)\b.{0,25}\bplan\b",
            r"\b(development|learning|growth) plan\b",
            r"\bi( really)? (want|would like|'d like|hope|need|wish) to\b",
            r"\bhelp me (to )?(become|get|grow|improve|learn|build|develop)\b",
            r"\bbecome an?\b",
            r"\bget better at\b",
            r"\bimprove (my|at)\b",
            r"\bwhere (do|should|can) i (start|begin)\b",
            r"\bmy goal\b",
            r"\bgoal is\b",
        ),
    ),
    (
        "small_talk",
        (
            r"^\s*(hi|hello|hey|hiya|howdy|good (morning|afternoon|evening)|thanks?|thank you"
            r"|cheers|bye|goodbye|ok|okay)\b[\s\w,!.]{0,20}$",
            r"\bwho are you\b",
            r"\bwhat can you do\b",
            r"^\s*help\s*[!?.]*\s*$",
        ),
    ),
    (
        "guidance",
        (
            r"\?\s*$",
            r"^\s*(how|what|why|when|where|which|who|should|can|could|is|are|do|does|any)\b",
            r"\b(tips?|advice|guidance|best practices?|notes?|ideas?)\b",
        ),
    ),
)
_COMPILED = tuple((intent, tuple(re.compile(p) for p in ps)) for intent, ps in INTENT_PATTERNS)
_PATTERNS = dict(_COMPILED)


_QUESTION = re.compile(
    r"\?\s*$|^\s*(how|what|why|when|where|which|who|whose|should|shall|is|are|am|do|does"
    r"|did|have|has|was|were|may)\b"
)
# "Can you make it shorter?" asks for something; "can I ...?" asks about something.
_REQUEST = re.compile(r"^\s*(please|(can|could|would|will) (you|we)|i'?d like you to)\b")
# A message is read by its last clause: "That's a lot. Can you make it shorter?" asks for
# a change; "Sure, should I accept it?" asks a question.
_CLAUSE_BREAK = re.compile(r"(?<=[.!?])\s+|\s*[,;]\s*")
_NEGATION = re.compile(
    r"\b(not|no|never|nope|don'?t|do not|doesn'?t|does not|didn'?t|did not|haven'?t"
    r"|have not|hasn'?t|isn'?t|is not|wasn'?t|won'?t|can'?t|cannot|wouldn'?t|shouldn'?t"
    r"|yet)\b"
)
# A "no" aimed at the action itself ("don't make it shorter", "no need to draft the
# agenda"), as opposed to a negation elsewhere ("I don't have time, make it lighter").
_REFUSED = re.compile(
    r"\b(?:don'?t|do not|no need to|never|not yet|didn'?t|did not|haven'?t|have not)\s+"
    r"(?:\w+\s+){0,2}?(?P<verb>make|change|shorten|lengthen|revise|redraft|cut"
    r"|touch|prep|prepare|draft|write|accept|approve|finish\w*|complet\w*|start\w*|begin"
    r"|begun|mark|log)\b"
)
_REFUSED_MEANS: tuple[tuple[str, Intent], ...] = (
    (r"accept|approve", "hold"),
    (r"prep|prepare|draft|write", "session_info"),
    (r"finish\w*|complet\w*|start\w*|begin|begun|mark|log", "explain"),
    (r"make|change|shorten|lengthen|revise|redraft|cut|touch", "no_change"),
)
# Questions that ask for a session to be prepared: "what should I bring to my next
# session?" wants the agenda; "how do I prepare for a first session?" wants guidance.
_ASKS_TO_PREPARE = re.compile(
    r"^\s*(what|how)\s+(should|do|shall|can|must|could)\s+(i|we)\s+(need to\s+|have to\s+)?"
    r"(prepare|prep|bring|cover|discuss|get ready)\b"
)
_A_SPECIFIC_SESSION = re.compile(rf"\b(my|our|next|this|with|{_DAY_WORDS})\b")
# Intents that change something: a question or a negation never triggers one.
_CHANGES: frozenset[Intent] = frozenset({"accept", "log_progress", "prepare_session", "revise"})
_NEGATABLE: frozenset[Intent] = frozenset({"accept", "log_progress"})
_ABOUT_THE_PLAN = re.compile(r"\b(plan|milestones?)\b")


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def _last_clause(lowered: str) -> str:
    clauses = [c for c in _CLAUSE_BREAK.split(lowered) if c.strip(" .!?")]
    return clauses[-1] if clauses else lowered


def is_question(text: str) -> bool:
    """A question about something ("should I accept it?", "when is my next session?"),
    not a request phrased as one ("can you make it shorter?"), read by the last clause."""
    last = _last_clause(_normal(text))
    return _REQUEST.search(last) is None and _QUESTION.search(last) is not None


def is_negated(text: str) -> bool:
    return _NEGATION.search(_normal(text)) is not None


def _matches(intent: Intent, lowered: str) -> bool:
    return any(p.search(lowered) for p in _PATTERNS[intent])


def classify(text: str) -> Intent:
    """The intent of one message; anything unrecognised is a guidance question (which
    answers from the library or says it found nothing), never an action.

    Nothing that changes a record is read from a question or a negation: "should I
    accept it?" and "I'm not ready to accept it" are `hold`, "I haven't finished the
    first milestone" and "did I finish it?" `explain`, "when is my next session?"
    `session_info`, "why is the plan shorter?" `explain` (never a new version), "don't
    make it shorter" `no_change`. A question that asks for a specific session to be
    prepared ("what should I bring to my next session?") is a request.
    """
    lowered = _normal(text)
    question, negated = is_question(text), is_negated(text)
    for intent, patterns in _COMPILED:
        if not any(p.search(lowered) for p in patterns):
            continue
        if intent in _CHANGES and (refused := _REFUSED.search(lowered)):
            verb = refused.group("verb")
            return next(means for words, means in _REFUSED_MEANS if re.fullmatch(words, verb))
        if intent == "accept" and _matches("revise", lowered) and not negated:
            return "revise"  # "looks good, but make it 6 weeks"
        if intent == "draft_plan" and question and is_how_to(text):
            return "guidance"  # "how can I get better at delegating?" wants practice now
        if intent == "prepare_session" and question:
            if _ASKS_TO_PREPARE.search(lowered):
                return "prepare_session" if _A_SPECIFIC_SESSION.search(lowered) else "guidance"
            return "session_info"
        if intent in _CHANGES and (question or (negated and intent in _NEGATABLE)):
            return {
                "accept": "hold",
                "log_progress": "explain",
                "revise": "explain" if _ABOUT_THE_PLAN.search(lowered) else "guidance",
            }[intent]
        return intent
    if (refused := _REFUSED.search(lowered)) and re.fullmatch(
        r"prep|prepare|draft|write", refused.group("verb")
    ):
        return "session_info"  # "don't prepare anything yet"
    return "guidance"


# ---- skills -----------------------------------------------------------------------

# Words people use for each skill slug of the shared vocabulary. Specific phrases come
# before general ones in a row; across rows the earliest mention in the message wins.
SKILL_WORDS: tuple[tuple[str, str], ...] = (
    ("presentation_design", r"presentation design|slides?|slide decks?|decks?"),
    (
        "public_speaking",
        r"public speaking|speaking|speaker|present(ing|ations?)?( at)?|talks?|all-hands"
        r"|keynotes?|stage fright",
    ),
    (
        "technical_leadership",
        r"tech(nical)? lead(er|ership)?|lead engineer|staff engineer|lead (a|the|my) team"
        r" technically|technical direction",
    ),
    ("delegation", r"delegat\w*"),
    ("stakeholder_management", r"stakeholders?( management)?|managing up"),
    ("code_review", r"code reviews?|reviewing (code|pull requests|prs)|pull requests?"),
    ("system_design", r"system design|architecture|distributed systems|designing systems"),
    ("negotiation", r"negotiat\w*|salary"),
    ("time_management", r"time management|manag(e|ing) my time|procrastinat\w*|deadlines"),
    ("giving_feedback", r"giv(e|ing) (better )?feedback|feedback to (others|my|people)"),
    ("receiving_feedback", r"receiv(e|ing) feedback|tak(e|ing) feedback|criticism"),
    ("networking", r"network(ing)?|making connections"),
    ("writing", r"writing|write (better|docs|design docs|clearly)|documentation"),
    ("data_analysis", r"data analy\w*|analytics|sql|analy[sz]\w* data"),
    ("project_management", r"project manage\w*|manag(e|ing) projects|running projects"),
    (
        "people_management",
        r"people management|manag(e|ing) (people|a team)|(engineering|line|people) manager"
        r"|become a manager",
    ),
    ("conflict_resolution", r"conflicts?( resolution)?|difficult conversations"),
    ("strategic_thinking", r"strateg\w*"),
    ("digital_tools", r"digital tools|new tools|ai tools|automation"),
    ("coaching", r"coach\w*|mentor(ing)? others"),
)
_SKILL_PATTERNS = tuple(
    (slug, re.compile(rf"\b(?:{words}|{slug.replace('_', ' ')})\b")) for slug, words in SKILL_WORDS
)


def skills_in(text: str) -> list[str]:
    """Every skill the text names, in the order it names them."""
    lowered = text.lower()
    found: list[tuple[int, int, int, str]] = []
    for order, (slug, pattern) in enumerate(_SKILL_PATTERNS):
        hit = pattern.search(lowered)
        if hit:
            found.append((hit.start(), -len(hit.group(0)), order, slug))
    return [slug for *_, slug in sorted(found)]


_HOW_TO = re.compile(
    r"\bhow (do|can|should|could|would|might|to) (i|we|you|one)?\b|\bhow to\b"
    r"|\bwhat (can|should|could) (i|we) do\b|\b(any )?(tips|advice|ideas) (for|on|about)\b"
    r"|\bways? to\b|\bhelp me (stop|not|be|deal|handle|manage|cope|get over)\b"
)


def is_how_to(text: str) -> bool:
    """A question asking how to do or fix something ("how do I stop rushing?")."""
    return _HOW_TO.search(_normal(text)) is not None


def without_skill_words(lowered: str, skill: str) -> str:
    """The lower-cased text with the words that name `skill` cut out."""
    pattern = dict(_SKILL_PATTERNS)[skill]
    return pattern.sub(" ", lowered)


def skill_in(text: str) -> str | None:
    """The skill the text names first."""
    named = skills_in(text)
    return named[0] if named else None


# ---- numbers, durations, hours, levels ---------------------------------------------

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "a couple of": 2, "a few": 3, "an": 1, "a": 1, "half an": 0.5, "half a": 0.5,
}  # fmt: skip
_NUM = r"(\d+(?:\.\d+)?|" + "|".join(sorted(map(re.escape, NUMBER_WORDS), key=len)[::-1]) + ")"
WEEKS_PER = {"week": 1.0, "month": 30.44 / 7, "year": 52.0, "quarter": 13.0}
_HOURS = re.compile(rf"\b{_NUM}\s*(?:hours?|hrs?|h)\s*(?:a|per|each|every|/|in a)\s*(month|week)\b")
_HORIZON = re.compile(rf"\b{_NUM}\s*(weeks?|months?|years?|quarters?)\b")
_NEXT_QUARTER = re.compile(r"\b(next|this) quarter\b")
_BARE_NUMBER = re.compile(r"^\D*?(\d+(?:\.\d+)?)\D*$")
_LEVEL_RANGE = re.compile(r"\bfrom (?:level )?([1-5])\b.{0,20}?\bto (?:level )?([1-5])\b")
_LEVEL_NUMBER = re.compile(
    r"\b(?:level\s*)?([1-5])(?:\s*/\s*5|\s+out of\s+5)?\b"
    r"(?!\s*(?:h|hours?|weeks?|months?|years?))"
)
LEVEL_WORDS: tuple[tuple[str, int], ...] = (
    ("can teach", 5), ("expert", 5), ("advanced", 4), ("proficient", 4), ("strong", 4),
    ("intermediate", 3), ("practitioner", 3), ("competent", 3), ("comfortable", 3),
    ("beginner", 2), ("basic", 2), ("some experience", 2), ("novice", 1), ("aware", 1),
    ("none", 1), ("no experience", 1), ("never", 1),
)  # fmt: skip
MAX_HORIZON_WEEKS = 156


def _number(text: str) -> float:
    key = text.lower()
    return float(NUMBER_WORDS[key]) if key in NUMBER_WORDS else float(text)


def hours_in(text: str) -> int | None:
    """Hours a month named in the text ("2 hours a week" is about 9 a month)."""
    found = _HOURS.search(text.lower())
    if not found:
        return None
    amount = _number(found.group(1)) * (WEEKS_PER["month"] if found.group(2) == "week" else 1)
    return max(1, min(160, round(amount)))


def horizon_in(text: str) -> int | None:
    """Weeks named in the text ("in a year" is 52), ignoring the "a month" of "4 hours a
    month", which is a rate, not a deadline."""
    lowered = _HOURS.sub(" ", text.lower())
    if _NEXT_QUARTER.search(lowered):
        return 13
    found = _HORIZON.search(lowered)
    if not found:
        return None
    unit = found.group(2).rstrip("s")
    weeks = _number(found.group(1)) * WEEKS_PER[unit]
    return max(1, min(MAX_HORIZON_WEEKS, round(weeks)))


def bare_number(text: str) -> float | None:
    found = _BARE_NUMBER.match(text.strip())
    return float(found.group(1)) if found else None


# The level words a person uses about themselves ("I'm a beginner") or a target ("reach
# advanced"); the vaguer ones ("never", "strong") are read only as answers to a question.
_SAID_LEVEL = (
    r"(?:level\s*)?(?P<level>[1-5](?!\s*(?:h\b|hours?|hrs?|weeks?|months?|years?))"
    r"|beginner|novice|intermediate|practitioner|competent|advanced|proficient|expert)\b"
)
_CURRENT_LEVEL = re.compile(
    r"\b(?:i'?m|i am|currently|right now i'?m|today i'?m)\s+(?:at\s+)?(?:an?\s+)?(?:about\s+)?"
    + _SAID_LEVEL
)
_TARGET_LEVEL = re.compile(
    r"\b(?:reach|get to|become|to be|aim for|up to)\s+(?:an?\s+)?(?:level\s+)?" + _SAID_LEVEL
)


def _level_said(word: str) -> int:
    return int(word) if word.isdigit() else dict(LEVEL_WORDS)[word]


def levels_in(text: str) -> tuple[int | None, int | None]:
    """(current, target) as far as the text says them: "from 2 to 4", "I'm a beginner and
    want to reach advanced", "I'm at level 3"; None for what it does not say."""
    lowered = text.lower()
    found = _LEVEL_RANGE.search(lowered)
    if found:
        return int(found.group(1)), int(found.group(2))
    current = _CURRENT_LEVEL.search(lowered)
    target = _TARGET_LEVEL.search(lowered)
    return (
        _level_said(current.group("level")) if current else None,
        _level_said(target.group("level")) if target else None,
    )


def level_in(text: str) -> int | None:
    """One skill level, as a number 1-5 or a word ("beginner" is 2)."""
    lowered = _HOURS.sub(" ", text.lower())
    lowered = _HORIZON.sub(" ", lowered)
    found = _LEVEL_NUMBER.search(lowered)
    if found:
        return int(found.group(1))
    for word, level in LEVEL_WORDS:
        if re.search(rf"\b{word}\b", lowered):
            return level
    return None


# ---- the goal itself ---------------------------------------------------------------

_LEADING = re.compile(
    r"^(?:(?:hi|hello|hey|so|ok|okay|well|please|tandem)\b[\s,!.:-]*)*"
    r"(?:(?:can|could|would) you\s+)?(?:please\s+)?"
    r"(?:(?:help me|draft (?:me )?a plan|make (?:me )?a plan|i want a plan|i need a plan)"
    r"\s*(?:to|for|so i can|so that i can)?\s*)?"
    r"(?:i(?: really)?(?: want| would like|'d like| hope| need| wish| plan) to\s+"
    r"|my goal is(?: to)?\s+|the goal is(?: to)?\s+|i'?m (?:trying|hoping|aiming) to\s+)?",
    re.IGNORECASE,
)
_TRAILING = re.compile(
    r"[,;.!\s-]*(?:(?:so )?(?:where|how) (?:do|should|can) i (?:start|begin)"
    r"|what (?:should|do) i do(?: first)?|any (?:tips|ideas|advice)|can you help"
    r"|help me)\??[.!\s]*$",
    re.IGNORECASE,
)
_PLAN_WORDS_TEXT = (
    "a an the me my plan development draft make create new please for to can you could "
    "would i want need like help start"
)
_PLAN_WORDS = frozenset(_PLAN_WORDS_TEXT.split())
MAX_GOAL_CHARS = 300


# What a first message says besides the goal: the time it has, the horizon and the
# levels. These are slots, read on their own, and are cut from the goal's words so
# neither the profile goal nor a milestone drafted from it carries "3 hours a month".
_SLOT_PHRASES = (
    re.compile(
        r"\b(?:about|around|roughly|maybe|up to|at most)?\s*" + _HOURS.pattern,
    ),
    re.compile(
        r"\b(?:in|within|over|by|during|for)\s+(?:the\s+)?(?:next\s+)?"
        + _HORIZON.pattern.removeprefix(r"\b")
    ),
    re.compile(r"\b(?:by|in|within)\s+(?:the\s+end\s+of\s+)?(?:next|this)\s+quarter\b"),
    _LEVEL_RANGE,
)
# Words left in a clause once its slot phrase is cut ("I have about", "I'm a beginner and
# want to reach advanced"): such a clause said nothing about the goal itself.
_FILLER_TEXT = (
    "i i'm im i've ive have got has can could give spare find manage do it about around "
    "roughly maybe up to at most and want would like to reach get be become aim for level "
    "currently right now today a an the so but also only my time per each every month "
    "week hours hour am"
)
_FILLER = frozenset(_FILLER_TEXT.split()) | {word for word, _ in LEVEL_WORDS}
_CLAUSE = re.compile(r"\s*[,;.!?]+\s*|\s+-\s+")


def _said_something(clause: str) -> bool:
    words = re.findall(r"[a-z0-9'-]+", clause.lower())
    return any(w not in _FILLER and not w.isdigit() for w in words)


def goal_text(text: str) -> str | None:
    """The goal a plan request states, in the person's words and without the slots said
    with it ("I want to become a tech lead in a year, where do I start?" -> "Become a
    tech lead"); None when the message only asks for a plan without saying what for."""
    sentence = " ".join(text.split())
    sentence = _TRAILING.sub("", sentence)
    sentence = _LEADING.sub("", sentence).strip(" ,.;:!?-")
    for phrase in _SLOT_PHRASES:
        sentence = _cut(phrase, sentence)
    clauses = [c.strip() for c in _CLAUSE.split(sentence) if _said_something(c)]
    sentence = ", ".join(clauses)
    words = re.findall(r"[a-z'-]+", sentence.lower())
    meaningful = [w for w in words if w not in _PLAN_WORDS]
    if len(meaningful) < 2 and skill_in(sentence) is None:
        return None
    sentence = " ".join(sentence.split())[:MAX_GOAL_CHARS].rstrip(" ,")
    return sentence[0].upper() + sentence[1:] if sentence else None


def _cut(phrase: re.Pattern[str], sentence: str) -> str:
    """The sentence without what `phrase` matches, matched case-insensitively and cut
    from the original, so the rest keeps the person's capitals."""
    lowered = sentence.lower()
    kept: list[str] = []
    start = 0
    for found in phrase.finditer(lowered):
        kept.append(sentence[start : found.start()])
        start = found.end()
    kept.append(sentence[start:])
    return " ".join(part.strip() for part in kept if part.strip())


# ---- milestones and sessions -------------------------------------------------------

ORDINALS = {
    "first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3,
    "4th": 3, "fifth": 4, "5th": 4, "sixth": 5, "6th": 5, "last": -1, "final": -1,
}  # fmt: skip
_ORDINAL = re.compile(r"\b(" + "|".join(ORDINALS) + r")\b")
_MILESTONE_NUMBER = re.compile(r"\bmilestone\s*(?:#|no\.?|number)?\s*(\d{1,2})\b")
# Double or curly quotes anywhere; a straight single quote only around words, so the
# apostrophes of "I've" and "don't" are not read as quotes.
_QUOTED = re.compile(
    r"[\"\u201c\u2018]([^\"\u201d\u2019]{3,200})[\"\u201d\u2019]|(?:^|(?<=\s))'([^']{3,200})'(?=\W|$)"
)

MilestoneStatus = Literal["done", "in_progress", "blocked", "dropped"]
_STATUS_WORDS: tuple[tuple[MilestoneStatus, str], ...] = (
    ("blocked", r"\b(blocked|stuck)\b"),
    ("dropped", r"\b(drop|dropped|skip|skipped|abandon\w*)\b"),
    ("in_progress", r"\b(started|starting|begun|working on|in progress|underway)\b"),
    ("done", r"\b(done|finished|completed?|did|achieved|reached|nailed)\b"),
)


def milestone_status_in(text: str) -> MilestoneStatus:
    lowered = text.lower()
    for status, pattern in _STATUS_WORDS:
        if re.search(pattern, lowered):
            return status
    return "done"


@dataclass(frozen=True)
class MilestonePointer:
    """How a message points at a milestone: by position (0-based, -1 last) or words."""

    index: int | None
    quoted: str | None


def milestone_pointer(text: str) -> MilestonePointer:
    lowered = text.lower()
    quoted = _QUOTED.search(text)
    number = _MILESTONE_NUMBER.search(lowered)
    ordinal = _ORDINAL.search(lowered)
    index = int(number.group(1)) - 1 if number else ORDINALS[ordinal.group(1)] if ordinal else None
    said = (quoted.group(1) or quoted.group(2)) if quoted else None
    return MilestonePointer(index=index, quoted=said)


_NOT_A_NAME = frozenset(
    {
        "my", "the", "our", "a", "an", "me", "us", "him", "her", "them", "mentor",
        "mentee", "peer", "peers", "group", "team", "everyone", "you", "it", "this", "that",
    }
)  # fmt: skip


def partner_named(text: str) -> str | None:
    """The word after "with" when it may be a person's name ("ready for Thursday with
    Sam" -> "sam"), so a name that matches nobody can be said back, not guessed at."""
    found = re.search(r"\bwith\s+([A-Za-z][\w'-]*)", text)
    if found is None or found.group(1).lower() in _NOT_A_NAME:
        return None
    return found.group(1).lower()


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def weekday_in(text: str) -> int | None:
    lowered = text.lower()
    for number, name in enumerate(WEEKDAYS):
        if re.search(rf"\b{name[:3]}(?:{name[3:]})?\b", lowered):
            return number
    return None


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))
