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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, Field

from assistant.config import Settings
from assistant.llm.calls import EARLIER_CALL_FAILED, NO_TIME_LEFT
from assistant.llm.client import build_chat_model
from assistant.llm.prompts import PromptTemplate, load_prompt
from assistant.llm.structured import ModelCallFailed, ask_structured
from assistant.matching.scoring import DEFAULT_WEIGHTS, NEUTRAL, evidence_factor, is_shortfall

logger = logging.getLogger("tandem.pairing.rationale")

FACTORS_AUTHOR = "factors"
MAX_RATIONALE_CHARS = 800
MAX_REASON_LABEL = 120  # `rationale_by` holds 200 characters
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
# Failures that will repeat for every suggestion of the run: stop asking the model.
_SYSTEMIC = (
    "timeout",
    "connection failed",
    "HTTP 401",
    "HTTP 403",
    "HTTP 404",
    "HTTP 5",
    EARLIER_CALL_FAILED,
    NO_TIME_LEFT,
)

# A trade-off smaller than this (weight x shortfall, on the mode's weight scale) is
# rounding, not a weakness worth a sentence.
_NEGLIGIBLE = 1e-3

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
    # The weights the run scored with; a stored suggestion rewritten later gets its
    # mode's defaults.
    weights: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, suggestion: dict[str, Any], weights: Mapping[str, float]) -> SuggestionFacts:
        return cls(
            mode=suggestion["mode"],
            members=suggestion["members"],
            score=suggestion["score"],
            factors=suggestion["factors"],
            reasons=suggestion["reasons"],
            weights=weights,
        )

    @property
    def counted_weights(self) -> Mapping[str, float]:
        return self.weights or DEFAULT_WEIGHTS.get(self.mode, {})

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


def factor_label(name: str) -> str:
    return name.replace("timezone", "time zone").replace("_", " ")


def composed_rationale(facts: SuggestionFacts) -> str:
    """Three sentences: the score, the decisive factor (the largest share of the score:
    weight times value) with the fact behind it, and the trade-off (the largest loss:
    weight times what the factor falls short of 1) with its fact."""
    lead = (
        f"{_joined(facts.names)}: {MODE_WORDS.get(facts.mode, facts.mode)} scoring "
        f"{facts.score:.2f} of 1."
    )
    # Per factor, the line that shows its strength and the one that shows its shortfall.
    evidence: dict[str, str] = {}
    against: dict[str, str] = {}
    for line in facts.reasons:
        factor = evidence_factor(facts.mode, line)
        if factor is not None:
            (against if is_shortfall(line) else evidence).setdefault(factor, line)
    for factor, line in against.items():
        evidence.setdefault(factor, line)
    weights = facts.counted_weights
    # A factor at the neutral value with no line behind it was not judged (no embedder,
    # say): it is neither what decided the pair nor a weakness to check.
    counted = {
        name: float(value)
        for name, value in facts.factors.items()
        if weights.get(name, 0) > 0 and (name in evidence or value != NEUTRAL)
    }
    lead = lead[0].upper() + lead[1:]
    if not counted:
        return lead

    def said(name: str, lines: Mapping[str, str]) -> str:
        line = f"{factor_label(name)} ({counted[name]:.2f})"
        fact = lines.get(name) or evidence.get(name)
        return f"{line}: {fact.rstrip('.')}" if fact else line

    decisive = max(counted, key=lambda f: (weights[f] * counted[f], weights[f]))
    weakest = max(counted, key=lambda f: (weights[f] * (1 - counted[f]), weights[f]))
    sentences = [lead, f"Decided by {said(decisive, evidence)}."]
    if weights[weakest] * (1 - counted[weakest]) <= _NEGLIGIBLE:
        sentences.append("Trade-off: none; every factor is at its best.")
    elif weakest == decisive:
        sentences.append(
            f"Trade-off: {factor_label(weakest)} also costs the most, at "
            f"{counted[weakest]:.2f} of 1."
        )
    else:
        sentences.append(f"Trade-off: {said(weakest, against)}.")
    return " ".join(sentences)


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
        self,
        chat_model: BaseChatModel,
        model_name: str,
        prompt: PromptTemplate | None = None,
        *,
        max_tokens: int,
    ) -> None:
        self._chat_model = chat_model
        self._max_tokens = max_tokens
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
            draft, _ = ask_structured(
                self._chat_model,
                self._prompt,
                variables,
                DraftRationale,
                allowed_citation_ids=(),
                max_tokens=self._max_tokens,
                check=check,
            )
        except ModelCallFailed as failure:
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
    max_tokens = settings.llm_max_tokens_rationale
    return lambda: LLMRationaleWriter(chat_model, model_name, prompt, max_tokens=max_tokens)
