"""Constrained field types shared by every domain's API schemas."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, StringConstraints


def _no_control_characters(value: str) -> str:
    # PostgreSQL rejects NUL in text and SQLite stores it silently; refuse it for both
    # so the same input gets the same 422 on every engine instead of a 500 on one.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_no_control_characters),
]
MediumText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    AfterValidator(_no_control_characters),
]
LongText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000),
    AfterValidator(_no_control_characters),
]
OptionalNote = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2000),
    AfterValidator(_no_control_characters),
]
Identifier = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(_no_control_characters),
]

OptionalShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=200),
    AfterValidator(_no_control_characters),
]
SummaryText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=4000),
    AfterValidator(_no_control_characters),
]

# Dates a mentoring program can mean. Anything outside is a typo (2207 for 2027), and
# the far ends of the calendar overflow date arithmetic (9999-12-31 plus a day).
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100


def _plausible_date(value: date) -> date:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


def _plausible_datetime(value: datetime) -> datetime:
    _plausible_date(value.date())
    return value


PlausibleDate = Annotated[date, AfterValidator(_plausible_date)]
PlausibleDateTime = Annotated[datetime, AfterValidator(_plausible_datetime)]
