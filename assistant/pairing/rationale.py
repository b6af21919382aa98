"""Short prose rationales for pairing suggestions: composed from the factor reasons
offline, or written by the configured language model and checked against them.

The factor reasons stay the evidence a staff member checks; a rationale only says it in
a few sentences. A model's rationale may use no number the reasons do not contain and
must name every member, or it is replaced by the composed one and the label says why.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, Field

from assistant.config import Settings
from assistant.drafting.llm import DraftingFailed, build_chat_model, draft_structured
from assistant.drafting.prompts import PromptTemplate, load_prompt

logger = logging.getLogger("tandem.pairing.rationale")

FACTORS_AUTHOR = "factors"
MAX_RATIONALE_CHARS = 800
MAX_REASON_LABEL = 120  # `rationale_by` holds 200 characters
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
# Failures that will repeat for every suggestion of the run: stop asking the model.
_SYSTEMIC = ("timeout", "connection failed", "HTTP 401", "HTTP 403", "HTTP 404", "HTTP 5")

MODE_WORDS = {
    "mentor": "a mentor pair",
    "near_peer": "a near-peer pair",
    "flash": "a flash mentoring session",
    "reverse": "a reverse mentoring pair",
    "peer": "a peer pair",
    "group": "a peer group",
}


@dataclass(frozen=True)
class SuggestionFacts:
    """What a rationale may draw on: the suggestion as staff see it."""

    mode: str
    members: Sequence[dict[str, str]]
    score: float
    factors: dict[str, float]
    reasons: Sequence[str]

    @classmethod
    def of(cls, suggestion: dict[str, Any]) -> SuggestionFacts:
        return cls(
            mode=suggestion["mode"],
            members=suggestion["members"],
            score=suggestion["score"],
            factors=suggestion["factors"],
            reasons=suggestion["reasons"],
        )

    @property
    def names(self) -> list[str]:
        return [m.get("name") or m["participant_id"] for m in self.members]


@dataclass(frozen=True)
class Rationale:
    text: str
    author: str  # "factors", "openai:<model>" or "factors (fallback: <reason>)"


class RationaleWriter(Protocol):
    def write(self, facts: SuggestionFacts) -> Rationale: ...


def _joined(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def composed_rationale(facts: SuggestionFacts) -> str:
    """Two or three sentences from the strongest reasons and the weakest factor."""
    evidence = [r for r in facts.reasons if not r.startswith("Mode: ")]
    lead = f"{_joined(facts.names)}: {MODE_WORDS.get(facts.mode, facts.mode)} scoring "
    sentences = [lead + f"{facts.score:.2f} of 1."]
    if evidence:
        sentences.append("; ".join(evidence[:2]).rstrip(".") + ".")
    weak = [name for name, value in facts.factors.items() if value < 0.4]
    if weak:
        sentences.append(
            f"Weakest: {weak[0].replace('_', ' ')} ({facts.factors[weak[0]]:.2f}); check it "
            "before approving."
        )
    text = " ".join(sentences)
    return text[0].upper() + text[1:]


class FactorRationaleWriter:
    """The offline writer: the composed rationale, always available."""

    def write(self, facts: SuggestionFacts) -> Rationale:
        return Rationale(composed_rationale(facts), FACTORS_AUTHOR)


class DraftRationale(BaseModel):
    rationale: str = Field(min_length=20, max_length=MAX_RATIONALE_CHARS)


def _block(lines: Sequence[str]) -> str:
    return "\n".join(f"- {html.escape(line, quote=False)}" for line in lines)


def _numbers(text: str) -> set[str]:
    return {n.replace(",", ".").rstrip("0").rstrip(".") or "0" for n in _NUMBER.findall(text)}


class LLMRationaleWriter:
    """Asks the model for each suggestion's rationale; any failure or unchecked claim
    falls back to the composed rationale, and a failure that would repeat (a timeout, a
    server down) stops the model being asked for the rest of this writer's life, which
    is one run, so a run of hundreds of suggestions never waits on hundreds of timeouts."""

    def __init__(
        self, chat_model: BaseChatModel, model_name: str, prompt: PromptTemplate | None = None
    ) -> None:
        self._chat_model = chat_model
        self.name = f"openai:{model_name}"
        self._prompt = prompt or load_prompt("pairing")
        self._stopped: str | None = None

    def write(self, facts: SuggestionFacts) -> Rationale:
        if self._stopped is not None:
            return self._fallback(facts, self._stopped)
        evidence = "\n".join([*facts.reasons, json.dumps(facts.factors), str(facts.score)])
        allowed = _numbers(evidence)

        def check(draft: DraftRationale) -> None:
            invented = sorted(_numbers(draft.rationale) - allowed)
            if invented:
                raise ValueError(f"numbers {invented} appear in no factor or reason")
            missing = [n for n in facts.names if n.split()[0] not in draft.rationale]
            if missing:
                raise ValueError(f"the rationale does not name {missing}")

        variables = {
            "mode": facts.mode,
            "members": _block([f"{m.get('name', '')} (role {m['role']})" for m in facts.members]),
            "score": f"{facts.score:.3f}",
            "factors": _block([f"{k}: {v}" for k, v in facts.factors.items()]),
            "reasons": _block(facts.reasons),
            "schema": json.dumps(DraftRationale.model_json_schema()),
        }
        try:
            draft, _ = draft_structured(
                self._chat_model,
                self._prompt,
                variables,
                DraftRationale,
                allowed_citation_ids=(),
                check=check,
            )
        except DraftingFailed as failure:
            if failure.reason.startswith(_SYSTEMIC):
                self._stopped = failure.reason
            return self._fallback(facts, failure.reason)
        return Rationale(draft.rationale.strip(), self.name)

    def _fallback(self, facts: SuggestionFacts, reason: str) -> Rationale:
        logger.warning(
            "the language model could not explain a suggestion; using the factor reasons",
            extra={"fields": {"model": self.name, "reason": reason}},
        )
        label = f"{FACTORS_AUTHOR} (fallback: {reason[:MAX_REASON_LABEL]})"
        return Rationale(composed_rationale(facts), label)


class RationaleWriters(Protocol):
    """Makes one writer per run, so a model that failed for one run is asked again
    by the next."""

    def __call__(self) -> RationaleWriter: ...


def build_rationale_writers(settings: Settings) -> RationaleWriters:
    chat_model = build_chat_model(settings)
    if chat_model is None or settings.llm_model is None:
        return FactorRationaleWriter
    prompt = load_prompt("pairing")  # a broken prompt file stops the service at start-up
    model_name = settings.llm_model
    return lambda: LLMRationaleWriter(chat_model, model_name, prompt)
