"""The demo bank shipped with the package (question_bank/data/demo_bank.json).

The file holds the categories (slug and display name), a blueprint and the
questions, all invented. Nothing is read until `load_demo_bank` is called.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from .blueprint import Blueprint
from .model import Question, QuestionError, question_from_dict
from .problems import Problem

DEMO_BANK_PATH: Traversable = resources.files("question_bank") / "data" / "demo_bank.json"


@dataclass(frozen=True)
class DemoBank:
    categories: list[tuple[str, str]]  # (slug, name) in display order
    blueprint: Blueprint
    questions: list[Question]


def load_demo_bank(source: Traversable = DEMO_BANK_PATH) -> DemoBank:
    """Read and validate a bank file; raises ValueError (QuestionError, BlueprintError)."""
    data = json.loads(source.read_text(encoding="utf-8"))
    categories = [(entry["slug"], entry["name"]) for entry in data["categories"]]
    blueprint = Blueprint.from_dict(data["blueprint"])
    questions = [_question(entry) for entry in data["questions"]]
    slugs = {slug for slug, _ in categories}
    unknown = sorted(({q.category for q in questions} | set(blueprint.categories)) - slugs)
    if unknown:
        raise ValueError(f"unknown categories in {source.name}: {', '.join(unknown)}")
    return DemoBank(categories, blueprint, questions)


def _question(entry: dict[str, Any]) -> Question:
    try:
        return question_from_dict(entry)
    except QuestionError as error:
        name = str(entry.get("id"))
        raise QuestionError(
            [
                Problem(p.code, f"{name}: {p.message}", {**p.data, "question": name})
                for p in error.problems
            ]
        ) from None
