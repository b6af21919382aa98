"""Domain errors that services raise and the API turns into 404 / 409 / 422 answers."""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know it exists (both are 404)."""

    status_code = 404

    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(f"{kind} {ident!r} not found")
        self.kind = kind
        self.ident = ident


class RuleViolation(DomainError):
    """The request is well formed but breaks a program rule (capacity, duplicates...)."""

    status_code = 409


class InvalidField(DomainError):
    """A field is well typed but wrong in context (a due date before the plan starts)."""

    status_code = 422

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


class NotAllowed(DomainError):
    """Signed in, may see the thing, but may not do this to it (e.g. a member approving)."""

    status_code = 403
