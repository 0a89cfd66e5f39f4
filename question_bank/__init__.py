"""The question bank as a plain library: no Flask, no database, no I/O at import.

Questions and their validation (`model`), what is wrong with a question or a
file (`problems`: a code and its data, for a service to translate), stem
markup (`markup`), blueprints and form drawing (`blueprint`), scoring
(`scoring`), item statistics (`stats`), file formats (`formats`) and the demo
bank (`demo`).
"""

from .blueprint import (
    BankTooSmall,
    Blueprint,
    BlueprintError,
    FormItem,
    apportion,
    available_per_category,
    check_coverage,
    difficulty_quotas,
    draw_form,
)
from .demo import DEMO_BANK_PATH, DemoBank, load_demo_bank
from .formats import (
    FORMATS,
    ExportError,
    ImportIssue,
    ImportReport,
    UnknownFormat,
    export_questions,
    import_questions,
)
from .markup import plain_to_stem, sanitize_stem, to_plain_text
from .model import (
    OPTION_LETTERS,
    Difficulty,
    DifficultyError,
    Option,
    Question,
    QuestionError,
    make_question,
    parse_difficulty,
    question_from_dict,
    question_to_dict,
    to_points,
    validate_question,
)
from .problems import Problem
from .scoring import CategoryScore, FaultyRule, ItemScore, SheetScore, score_item, score_sheet
from .stats import (
    difficulty_index,
    flag_item,
    histogram,
    kr20,
    option_choice_rates,
    point_biserial,
)

__all__ = [
    "DEMO_BANK_PATH",
    "FORMATS",
    "OPTION_LETTERS",
    "BankTooSmall",
    "Blueprint",
    "BlueprintError",
    "CategoryScore",
    "DemoBank",
    "Difficulty",
    "DifficultyError",
    "ExportError",
    "FaultyRule",
    "FormItem",
    "ImportIssue",
    "ImportReport",
    "ItemScore",
    "Option",
    "Problem",
    "Question",
    "QuestionError",
    "SheetScore",
    "UnknownFormat",
    "apportion",
    "available_per_category",
    "check_coverage",
    "difficulty_index",
    "difficulty_quotas",
    "draw_form",
    "export_questions",
    "flag_item",
    "histogram",
    "import_questions",
    "kr20",
    "load_demo_bank",
    "make_question",
    "option_choice_rates",
    "parse_difficulty",
    "plain_to_stem",
    "point_biserial",
    "question_from_dict",
    "question_to_dict",
    "sanitize_stem",
    "score_item",
    "score_sheet",
    "to_plain_text",
    "to_points",
    "validate_question",
]
