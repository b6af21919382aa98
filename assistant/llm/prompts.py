"""Prompt files: one per drafting task in the repo's top-level `prompts/` directory.

A file is YAML front matter (`variables:` lists the placeholders it uses) followed by a
`# system` section and a `# user` section. `{name}` is a placeholder; every other brace
is literal text, so a prompt can show a JSON example as it is, without doubling braces.
Variables are checked twice: against the front matter when the file is loaded, so a
typo in a prompt fails at start-up rather than mid-request, and against the values on
every render, so a caller cannot silently leave one out or pass one the prompt ignores.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from langchain_core.messages import BaseMessage
from langchain_core.prompts import ChatPromptTemplate

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
_TASK_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SECTION = re.compile(r"^#\s+(system|user)\s*$", re.IGNORECASE | re.MULTILINE)


class PromptError(ValueError):
    """A prompt file is malformed, or was rendered with the wrong variables."""


def _to_f_string(text: str) -> str:
    """Escape literal braces for ChatPromptTemplate's f-string format, keeping placeholders."""
    parts: list[str] = []
    last = 0
    for match in _PLACEHOLDER.finditer(text):
        parts.append(text[last : match.start()].replace("{", "{{").replace("}", "}}"))
        parts.append(match.group(0))
        last = match.end()
    parts.append(text[last:].replace("{", "{{").replace("}", "}}"))
    return "".join(parts)


@dataclass(frozen=True)
class PromptTemplate:
    task: str
    variables: frozenset[str]
    chat: ChatPromptTemplate

    def render(self, **values: str) -> list[BaseMessage]:
        missing = sorted(self.variables - values.keys())
        unexpected = sorted(values.keys() - self.variables)
        problems = [f"missing variables {missing}"] if missing else []
        problems += [f"unexpected variables {unexpected}"] if unexpected else []
        if problems:
            raise PromptError(f"prompt {self.task!r}: " + "; ".join(problems))
        return self.chat.format_messages(**values)


def _split(task: str, text: str) -> tuple[Mapping[str, object], dict[str, str]]:
    front: Mapping[str, object] = {}
    if text.startswith("---"):
        _, header, text = text.split("---", 2)
        try:
            loaded = yaml.safe_load(header) or {}
        except yaml.YAMLError as exc:
            raise PromptError(f"prompt {task!r}: the front matter is not valid YAML") from exc
        if not isinstance(loaded, dict):
            raise PromptError(f"prompt {task!r}: the front matter is not a mapping")
        front = loaded
    markers = list(_SECTION.finditer(text))
    names = [m.group(1).lower() for m in markers]
    if names != ["system", "user"]:
        raise PromptError(
            f"prompt {task!r}: expected a '# system' then a '# user' section, found {names}"
        )
    system, user = markers
    return front, {
        "system": text[system.end() : user.start()].strip(),
        "user": text[user.end() :].strip(),
    }


def load_prompt(task: str, directory: Path | None = None) -> PromptTemplate:
    if not _TASK_NAME.match(task):
        raise PromptError(f"{task!r} is not a prompt name")  # no paths: names only
    path = (directory or PROMPTS_DIR) / f"{task}.md"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PromptError(f"no prompt file for {task!r} at {path}") from None
    front, sections = _split(task, text)
    used = set(_PLACEHOLDER.findall(sections["system"] + "\n" + sections["user"]))
    declared = front.get("variables")
    if declared is not None:
        if not isinstance(declared, list) or not all(isinstance(v, str) for v in declared):
            raise PromptError(f"prompt {task!r}: 'variables' must be a list of names")
        undeclared, unused = sorted(used - set(declared)), sorted(set(declared) - used)
        if undeclared or unused:
            raise PromptError(
                f"prompt {task!r}: placeholders {undeclared} are not declared in 'variables'"
                if undeclared
                else f"prompt {task!r}: declared variables {unused} are never used"
            )
    chat = ChatPromptTemplate.from_messages(
        [("system", _to_f_string(sections["system"])), ("human", _to_f_string(sections["user"]))]
    )
    return PromptTemplate(task=task, variables=frozenset(used), chat=chat)
