"""Questionnaire templates: the YAML format, its validation and the built-ins.

A questionnaire lists dimensions (德能勤绩廉), each with bilingual items; the
answer scale and the points of each answer; which rater groups answer which
items; the weight of each group; the overall-grade vote; and an optional
free-text comment.  Campaigns keep a snapshot (``Questionnaire.model_dump``)
so a template edited later never changes a running campaign.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from surveys.messages import N_

RATER_GROUPS = ("superior", "peer", "subordinate", "public")
GRADES = ("excellent", "competent", "basically_competent", "incompetent")
# What people call the groups and grades (message ids; translate at the edge).
GROUP_LABELS = {
    "superior": N_("Superior"),
    "peer": N_("Peer"),
    "subordinate": N_("Subordinate"),
    "public": N_("Public"),
}
GRADE_LABELS = {
    "excellent": N_("Excellent"),
    "competent": N_("Competent"),
    "basically_competent": N_("Basically competent"),
    "incompetent": N_("Incompetent"),
}
BUILT_IN_DIR = "templates"

Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]


def _check_groups(groups: list[str]) -> list[str]:
    unknown = [group for group in groups if group not in RATER_GROUPS]
    if unknown:
        raise ValueError(
            f"unknown rater group {unknown[0]!r}; use one of {', '.join(RATER_GROUPS)}"
        )
    _unique(groups, "groups")
    return groups


GroupList = Annotated[list[str], Field(min_length=1), AfterValidator(_check_groups)]


class TemplateError(ValueError):
    """A template file that cannot be used; names the file, the field and the problem."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        lines = [f"{source}: {field}: {message}" for field, message in problems]
        super().__init__("\n".join(lines))


class FieldProblems(ValueError):
    """Problems found across fields, each with the path of the field it is about.

    Raised by whole-questionnaire checks so that a template error can still
    name ``dimensions[1].items[0].key`` rather than the top level.
    """

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))


class Text(BaseModel):
    """A text in both languages of the product."""

    model_config = ConfigDict(extra="forbid")
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, locale: str) -> str:
        """Return the text for a locale, Chinese unless English is asked for."""
        return self.en if str(locale).startswith("en") else self.zh


class ScaleOption(BaseModel):
    """One answer of the scale and the points it is worth."""

    model_config = ConfigDict(extra="forbid")
    key: Key
    points: float = Field(ge=0, le=100)
    label: Text


class Item(BaseModel):
    """One question, answered on the scale by the listed rater groups."""

    model_config = ConfigDict(extra="forbid")
    key: Key
    text: Text
    groups: GroupList
    required: bool = True


class Dimension(BaseModel):
    """One of the five dimensions, with its weight inside a group's score."""

    model_config = ConfigDict(extra="forbid")
    key: Key
    title: Text
    weight: float = Field(default=1.0, gt=0)
    items: list[Item] = Field(min_length=1)


class Vote(BaseModel):
    """The overall-grade vote (优秀/称职/基本称职/不称职) and who casts it."""

    model_config = ConfigDict(extra="forbid")
    groups: GroupList
    required: bool = True


class Comment(BaseModel):
    """An optional free-text comment and who may write it."""

    model_config = ConfigDict(extra="forbid")
    groups: GroupList
    prompt: Text
    max_length: int = Field(default=500, ge=1, le=2000)


class Questionnaire(BaseModel):
    """A whole questionnaire template, validated."""

    model_config = ConfigDict(extra="forbid")
    key: Key
    title: Text
    scale: list[ScaleOption] = Field(min_length=2)
    group_weights: dict[str, Annotated[float, Field(ge=0)]] = Field(min_length=1)
    dimensions: list[Dimension] = Field(min_length=1)
    vote: Vote | None = None
    comment: Comment | None = None

    @field_validator("group_weights")
    @classmethod
    def _weights(cls, weights: dict[str, float]) -> dict[str, float]:
        _check_groups(list(weights))
        if not sum(weights.values()) > 0:
            raise ValueError("at least one group weight must be positive")
        return weights

    @model_validator(mode="after")
    def _consistent(self) -> Questionnaire:
        problems: list[tuple[str, str]] = []
        _duplicates(
            [(f"scale[{i}].key", option.key) for i, option in enumerate(self.scale)],
            "scale key",
            problems,
        )
        _duplicates(
            [
                (f"dimensions[{d}].key", dimension.key)
                for d, dimension in enumerate(self.dimensions)
            ],
            "dimension key",
            problems,
        )
        _duplicates(
            [
                (f"dimensions[{d}].items[{i}].key", item.key)
                for d, dimension in enumerate(self.dimensions)
                for i, item in enumerate(dimension.items)
            ],
            "item key",
            problems,
        )
        for d, dimension in enumerate(self.dimensions):
            for i, item in enumerate(dimension.items):
                missing = [group for group in item.groups if group not in self.group_weights]
                if missing:
                    problems.append(
                        (
                            f"dimensions[{d}].items[{i}].groups",
                            f"group(s) without a weight in group_weights: {', '.join(missing)}",
                        )
                    )
        if problems:
            raise FieldProblems(problems)
        return self

    def items(self) -> list[Item]:
        """Every item, in order."""
        return [item for dimension in self.dimensions for item in dimension.items]

    def items_for(self, group: str) -> list[Item]:
        """The items a rater group answers, in order."""
        return [item for item in self.items() if group in item.groups]

    def dimensions_for(self, group: str) -> list[Dimension]:
        """Dimensions narrowed to the items the group answers; empty ones dropped."""
        narrowed = []
        for dimension in self.dimensions:
            items = [item for item in dimension.items if group in item.groups]
            if items:
                narrowed.append(dimension.model_copy(update={"items": items}))
        return narrowed

    def groups(self) -> list[str]:
        """The rater groups that answer at least one item."""
        return [group for group in RATER_GROUPS if self.items_for(group)]

    def points(self, option_key: str) -> float | None:
        """Points of a scale answer, or None if the key is not on the scale."""
        for option in self.scale:
            if option.key == option_key:
                return option.points
        return None

    def votes_for(self, group: str) -> bool:
        """Whether the group casts the overall-grade vote."""
        return self.vote is not None and group in self.vote.groups

    def comments_for(self, group: str) -> bool:
        """Whether the group may leave a comment."""
        return self.comment is not None and group in self.comment.groups

    def with_public_form(self, public: Questionnaire) -> Questionnaire:
        """Merge a public service form in, its items answered by the public group only.

        The campaign then keeps one snapshot; public items are prefixed
        ``pub_`` so their keys never clash with the main form's.
        """
        dimensions = {
            dimension.key: dimension.model_copy(deep=True) for dimension in self.dimensions
        }
        for dimension in public.dimensions:
            items = [
                item.model_copy(update={"key": f"pub_{item.key}"[:32], "groups": ["public"]})
                for item in dimension.items
            ]
            target = dimensions.setdefault(
                dimension.key, dimension.model_copy(update={"items": []})
            )
            target.items = [*target.items, *items]
        weights = dict(self.group_weights)
        weights.setdefault("public", public.group_weights.get("public", 1.0))
        comment = self.comment
        if public.comment is not None:
            groups = sorted({*(comment.groups if comment else []), "public"})
            comment = (comment or public.comment).model_copy(update={"groups": groups})
        if [option.model_dump() for option in public.scale] != [
            option.model_dump() for option in self.scale
        ]:
            raise ValueError("the public form must use the same answer scale as the main form")
        return Questionnaire.model_validate(
            self.model_dump()
            | {
                "dimensions": [d.model_dump() for d in dimensions.values()],
                "group_weights": weights,
                "comment": comment.model_dump() if comment else None,
            }
        )


def _unique(keys: list[str], what: str) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise ValueError(f"duplicate {what[:-1] if what.endswith('s') else what} {key!r}")
        seen.add(key)


def _duplicates(keys: list[tuple[str, str]], what: str, problems: list[tuple[str, str]]) -> None:
    """Add a problem for each (path, key) whose key appeared earlier in the list."""
    seen: set[str] = set()
    for path, key in keys:
        if key in seen:
            problems.append((path, f"duplicate {what} {key!r}"))
        seen.add(key)


def _field_path(location: tuple) -> str:
    """Render a pydantic error location as ``dimensions[0].items[2].groups``."""
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def parse_questionnaire(text: str, source: str) -> Questionnaire:
    """Parse YAML text into a Questionnaire or raise TemplateError naming ``source``."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        raise TemplateError(source, [(where, f"not valid YAML: {exc}")]) from exc
    if not isinstance(data, dict):
        raise TemplateError(source, [("(top level)", "expected a mapping of fields")])
    try:
        return Questionnaire.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            cause = error.get("ctx", {}).get("error")
            if isinstance(cause, FieldProblems):
                problems.extend(cause.problems)
            else:
                message = error["msg"].removeprefix("Value error, ")
                problems.append((_field_path(error["loc"]), message))
        raise TemplateError(source, problems) from exc


def built_in_names() -> list[str]:
    """Names of the templates shipped with the product."""
    folder = resources.files("surveys") / BUILT_IN_DIR
    return sorted(
        entry.name.removesuffix(".yaml")
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    )


def load_questionnaire(name_or_path: str | Path) -> Questionnaire:
    """Load a built-in template by name, or a template file by path."""
    path = Path(name_or_path)
    if str(name_or_path) in built_in_names():
        resource = resources.files("surveys") / BUILT_IN_DIR / f"{name_or_path}.yaml"
        return parse_questionnaire(resource.read_text(encoding="utf-8"), resource.name)
    if not path.is_file():
        raise TemplateError(str(path), [("(file)", "no such template file or built-in name")])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = ("(file)", f"cannot be read as UTF-8 text: {exc}")
        raise TemplateError(str(path), [problem]) from exc
    return parse_questionnaire(text, str(path))
