"""Questionnaire templates: the YAML format, its validation and the built-ins.

A questionnaire lists dimensions (德能勤绩廉), each with bilingual items; the
answer scale and the points of each answer; which rater groups answer which
items; the weight of each group; the overall-grade vote; an optional
free-text comment; and the grading rules (score bands, vote rules, vetoes and
the Excellent quota, see ``surveys.rules.grading``); and, optionally, training
topics per dimension for development suggestions.  Campaigns keep a snapshot
(``Questionnaire.model_dump``) so a template edited later never changes a
running campaign; a snapshot from before grading rules existed reads back
with the default bands and no other rule.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

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

from surveys.rules.cells import FORBIDDEN
from surveys.rules.messages import N_
from surveys.rules.rater_groups import group_keys
from surveys.rules.shares import Share
from surveys.rules.warnings import WarningSettings

GRADES = ("excellent", "competent", "basically_competent", "incompetent")
# What people call the grades (message ids; translate at the edge).
GRADE_LABELS = {
    "excellent": N_("Excellent"),
    "competent": N_("Competent"),
    "basically_competent": N_("Basically competent"),
    "incompetent": N_("Incompetent"),
}
# Public institutions' staff (事业单位, 2023 规定): 优秀 / 合格 / 基本合格 / 不合格.
INSTITUTION_GRADE_LABELS = {
    "excellent": N_("Excellent"),
    "competent": N_("Qualified"),
    "basically_competent": N_("Basically qualified"),
    "incompetent": N_("Unqualified"),
}
BUILT_IN_DIR = "templates"
WAVE_OFFSET = r"^(?:opening|\d{1,3}[dhm])$"
"""A reminder wave in a template: 'opening', or how long before the deadline ('3d', '3h', '30m')."""
DEFAULT_WAVES = ("opening", "3d", "1d", "3h")
"""Waves of a template naming none: at opening, 3 days, 1 day and 3 hours before the deadline."""

Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
Grade = Literal["excellent", "competent", "basically_competent", "incompetent"]
Comparison = Literal["at_least", "more_than"]
# Minimum composite per grade when a questionnaire names no bands of its own.
DEFAULT_BANDS = {"excellent": 90.0, "competent": 75.0, "basically_competent": 60.0}


# A weight is a finite number: ``.inf`` (YAML for infinity) or ``.nan`` made every
# composite nan and the grade Incompetent.  A million is far above any real weight,
# and keeps a sum of weights from overflowing to infinity.
MAX_WEIGHT = 1_000_000
DimensionWeight = Annotated[float, Field(gt=0, le=MAX_WEIGHT, allow_inf_nan=False)]
# A group weight may be 0: the group answers, but its answers do not count.
GroupWeight = Annotated[float, Field(ge=0, le=MAX_WEIGHT, allow_inf_nan=False)]


def _check_groups(groups: list[str]) -> list[str]:
    known = group_keys()
    unknown = [group for group in groups if group not in known]
    if unknown:
        raise ValueError(f"unknown rater group {unknown[0]!r}; use one of {', '.join(known)}")
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


def _printable(text: str) -> str:
    """Refuse control characters: YAML's "\\0" is a NUL, which no form, page or file shows."""
    if FORBIDDEN.search(text):
        raise ValueError("contains a control character (such as NUL)")
    return text


PrintableText = Annotated[str, Field(min_length=1), AfterValidator(_printable)]


class Text(BaseModel):
    """A text in both languages of the product."""

    model_config = ConfigDict(extra="forbid")
    zh: PrintableText
    en: PrintableText

    def get(self, locale: str) -> str:
        """Return the text for a locale, Chinese unless English is asked for."""
        return self.en if str(locale).startswith("en") else self.zh


class ScaleOption(BaseModel):
    """One answer of the scale and the points it is worth."""

    model_config = ConfigDict(extra="forbid")
    key: Key
    points: float = Field(ge=0, le=100, allow_inf_nan=False)
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
    weight: DimensionWeight = 1.0
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


class Citation(BaseModel):
    """Where a rule comes from: the regulation, the article, and whether anyone checked it.

    ``checked`` stays false until someone has compared the rule with the
    text of that article, so the product never passes off a recollection as
    a citation; every output says which it is.  A checked citation names
    the article, quotes the sentence that states the rule (``quote``, short)
    and gives the address of the page the text was read on (``url``).
    ``basis`` says what kind of source it is: a national regulation, a
    local implementing rule (地方实施细则) or the product's own default.
    ``note`` says what a reader should know about the check (a copy rather
    than the gazette, a partial text, where the text differs).
    """

    model_config = ConfigDict(extra="forbid")
    source: PrintableText
    article: PrintableText | None = None
    checked: bool = False
    quote: PrintableText | None = None
    url: PrintableText | None = None
    basis: Literal["national", "local", "default"] = "national"
    note: PrintableText | None = None

    @model_validator(mode="after")
    def _checked_says_where(self) -> Citation:
        if self.checked and not (self.article and self.quote and self.url):
            raise ValueError("a checked citation gives its article, quote and url")
        if self.checked and self.basis == "default":
            raise ValueError("a product default has no text to check against")
        return self


class VoteRule(BaseModel):
    """A rule on the overall-grade vote.

    ``requires``: a cadre graded ``grade`` keeps it only when the share of
    votes for ``grade`` passes the threshold, else goes one grade lower
    (e.g. Excellent needs at least half the votes Excellent).
    ``caps``: when the share of votes for ``grade`` passes the threshold the
    cadre is graded ``grade`` at best (e.g. more than a third of votes
    Incompetent makes the cadre Incompetent).
    """

    model_config = ConfigDict(extra="forbid")
    grade: Grade
    effect: Literal["requires", "caps"]
    share: Share
    comparison: Comparison = "at_least"
    citation: Citation | None = None


class Veto(BaseModel):
    """One-vote veto (一票否决): an item failed by enough raters caps the grade.

    The share is of the raters who answered the item; with fewer than
    ``min_answers`` answers the veto does not apply, so one rater alone
    cannot veto unless the template says so.
    """

    model_config = ConfigDict(extra="forbid")
    item: Key
    answers: list[Key] = Field(min_length=1)
    share: Share
    comparison: Comparison = "at_least"
    min_answers: int = Field(default=1, ge=1)
    caps_at: Grade
    citation: Citation | None = None


class Quota(BaseModel):
    """The cap on Excellent grades: a share of the cadres graded in a pool.

    The pool (``scope``) is a unit, the whole agency (``agency``; ``campaign``
    is the older name of the same pool) or a tier of post across the agency
    (``tier``, from the tier HR sets per cadre), so each tier has its own
    quota.  ``rounding`` turns the share into whole places: ``down`` (a pool
    of 4 at 20% then has none), ``nearest`` (half up) or ``up``.
    """

    model_config = ConfigDict(extra="forbid")
    share: Share
    scope: Literal["unit", "agency", "campaign", "tier"] = "unit"
    rounding: Literal["down", "nearest", "up"] = "down"
    citation: Citation | None = None


class Admonition(BaseModel):
    """诫勉: too small a share of votes for the listed grades flags the cadre for a talk.

    It changes no grade; the decision carries a note, with its citation, for HR.
    """

    model_config = ConfigDict(extra="forbid")
    grades: list[Grade] = Field(min_length=1)
    share: Share
    comparison: Literal["below", "at_most"] = "below"
    citation: Citation | None = None


class BarringFlag(BaseModel):
    """A situation HR marks per cadre that bars a grade, as the regulation lists it.

    ``effect`` ``no_grade``: no grade until the case closes (e.g. under
    investigation); ``caps``: the grade is at best ``caps_at`` (e.g. a
    sanction in effect bars Excellent).
    """

    model_config = ConfigDict(extra="forbid")
    key: Key
    label: Text
    effect: Literal["no_grade", "caps"]
    caps_at: Grade | None = None
    citation: Citation | None = None

    @model_validator(mode="after")
    def _cap_named(self) -> BarringFlag:
        if (self.effect == "caps") != (self.caps_at is not None):
            raise ValueError("caps_at goes with effect caps, and only with it")
        return self


class Window(BaseModel):
    """A period after publication (公示, 复核, 申诉): its length and how days are counted.

    ``grades`` (on the review window) lists the grades a cadre may contest;
    without it every published grade may be (``surveys.results.appeals``).
    """

    model_config = ConfigDict(extra="forbid")
    days: int = Field(ge=0, le=366)
    counting: Literal["working", "calendar"] = "calendar"
    citation: Citation | None = None
    # The grades that may be contested (公务员法 第九十五条: only 不称职); None: every grade.
    grades: list[Grade] | None = Field(default=None, min_length=1)

    @field_validator("grades")
    @classmethod
    def _grades_unique(cls, grades: list[str] | None) -> list[str] | None:
        if grades is not None:
            _unique(grades, "contestable grades")
        return grades


class Windows(BaseModel):
    """Publicity of proposed Excellent cadres, and the review and appeal periods."""

    model_config = ConfigDict(extra="forbid")
    publicity: Window | None = None
    review: Window | None = None
    appeal: Window | None = None


class Grading(BaseModel):
    """How scores and votes become grades; applied by ``surveys.rules.grading``."""

    model_config = ConfigDict(extra="forbid")
    bands: dict[Grade, Annotated[float, Field(ge=0, le=100)]] = Field(
        default_factory=lambda: dict(DEFAULT_BANDS), min_length=1
    )
    votes: list[VoteRule] = Field(default_factory=list)
    vetoes: list[Veto] = Field(default_factory=list)
    quota: Quota | None = None
    bands_citation: Citation | None = None
    admonition: Admonition | None = None
    flags: list[BarringFlag] = Field(default_factory=list)
    # Grade names: "cadre" 优秀/称职/基本称职/不称职, "institution" 优秀/合格/基本合格/不合格.
    labels: Literal["cadre", "institution"] = "cadre"

    @field_validator("flags")
    @classmethod
    def _flags_unique(cls, flags: list[BarringFlag]) -> list[BarringFlag]:
        _unique([flag.key for flag in flags], "flag keys")
        return flags

    @field_validator("bands")
    @classmethod
    def _bands_descend(cls, bands: dict[str, float]) -> dict[str, float]:
        minimums = [bands[grade] for grade in GRADES if grade in bands]
        if any(better < worse for better, worse in zip(minimums, minimums[1:], strict=False)):
            raise ValueError("a better grade needs a minimum at least as high as a worse one")
        return bands


class Performance(BaseModel):
    """How HR's performance indicators (实绩) enter one dimension, usually 绩.

    The dimension becomes ``share`` x the indicator score plus ``1 - share`` x
    the raters' figure (``surveys.rules.performance``); each indicator's
    attainment counts up to ``cap`` (1.2: at most 20% over target), so a
    target beaten far cannot make up for every other one missed.
    """

    model_config = ConfigDict(extra="forbid")
    dimension: Key
    share: float = Field(gt=0, le=1, allow_inf_nan=False)
    cap: float = Field(default=1.2, ge=1, le=10, allow_inf_nan=False)


class Feeds(BaseModel):
    """Which earlier results feed this campaign's composite (``surveys.rules.feeding``).

    The composite becomes ``(1 - share)`` x the raters' composite plus
    ``share`` x the mean of the person's shown composites in the campaigns of
    kind ``source`` (平时考核 ``regular`` into the annual, ``annual`` into the
    term) that closed in the ``years`` before this one.  A product default,
    not a cited rule: set it to the organisation's own method.
    """

    model_config = ConfigDict(extra="forbid")
    source: Literal["regular", "annual", "term", "special"]
    share: float = Field(gt=0, lt=1, allow_inf_nan=False)
    years: int = Field(default=1, ge=1, le=10)


class Questionnaire(BaseModel):
    """A whole questionnaire template, validated."""

    model_config = ConfigDict(extra="forbid")
    key: Key
    title: Text
    preset: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,63}$")] | None = None
    scale: list[ScaleOption] = Field(min_length=2)
    group_weights: dict[str, GroupWeight] = Field(min_length=1)
    dimensions: list[Dimension] = Field(min_length=1)
    vote: Vote | None = None
    comment: Comment | None = None
    grading: Grading = Field(default_factory=Grading)
    reminders: list[Annotated[str, Field(pattern=WAVE_OFFSET)]] = Field(
        default_factory=lambda: list(DEFAULT_WAVES), max_length=20
    )
    windows: Windows = Field(default_factory=Windows)
    performance: Performance | None = None
    feeds: Feeds | None = None
    # Per dimension, the training topics a development suggestion names when the
    # dimension is among a cadre's weakest (``surveys.results.suggestions``).
    training_topics: dict[Key, list[Text]] = Field(default_factory=dict)
    # Early-warning thresholds (``surveys.rules.warnings``); null turns a rule off.
    warnings: WarningSettings = Field(default_factory=WarningSettings)

    @model_validator(mode="before")
    @classmethod
    def _preset_rules(cls, data: object) -> object:
        """A template naming a preset takes the preset's rules under its own (see presets).

        Merging again what was merged changes nothing, so a campaign's
        snapshot reads back the same.
        """
        if isinstance(data, dict) and data.get("preset"):
            from surveys.rules.presets import apply_preset  # the presets read templates' models

            return apply_preset(data)
        return data

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
        problems.extend(self._grading_problems())
        known = {dimension.key for dimension in self.dimensions}
        problems.extend(
            (f"training_topics.{key}", f"unknown dimension {key!r}")
            for key in self.training_topics
            if key not in known
        )
        integrity = self.warnings.integrity_dimension
        if integrity is not None and integrity not in known:
            problems.append(("warnings.integrity_dimension", f"unknown dimension {integrity!r}"))
        if self.performance and self.performance.dimension not in known:
            problems.append(
                ("performance.dimension", f"unknown dimension {self.performance.dimension!r}")
            )
        if problems:
            raise FieldProblems(problems)
        return self

    def _grading_problems(self) -> list[tuple[str, str]]:
        """Grading rules must name real items and answers, and votes need a vote."""
        problems = []
        if self.grading.votes and self.vote is None:
            problems.append(("grading.votes", "vote rules need a vote section"))
        items = {item.key for item in self.items()}
        scale = {option.key for option in self.scale}
        for v, veto in enumerate(self.grading.vetoes):
            if veto.item not in items:
                problems.append((f"grading.vetoes[{v}].item", f"unknown item {veto.item!r}"))
            unknown = [answer for answer in veto.answers if answer not in scale]
            if unknown:
                problems.append(
                    (f"grading.vetoes[{v}].answers", f"not on the scale: {', '.join(unknown)}")
                )
        return problems

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
        return [group for group in group_keys() if self.items_for(group)]

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
        grading = self.grading.model_copy(
            update={"vetoes": [*self.grading.vetoes, *self._public_vetoes(public)]}
        )
        return Questionnaire.model_validate(
            self.model_dump()
            | {
                "dimensions": [d.model_dump() for d in dimensions.values()],
                "group_weights": weights,
                "comment": comment.model_dump() if comment else None,
                "grading": grading.model_dump(),
                "training_topics": public.model_dump()["training_topics"]
                | self.model_dump()["training_topics"],
            }
        )

    def _public_vetoes(self, public: Questionnaire) -> list[Veto]:
        """The public form's vetoes, renamed like its items.

        Only vetoes come along: bands, vote rules and the quota are about the
        whole cadre, so the main form's stand.
        """
        taken = {veto.item for veto in self.grading.vetoes}
        renamed = [
            veto.model_copy(update={"item": f"pub_{veto.item}"[:32]})
            for veto in public.grading.vetoes
        ]
        return [veto for veto in renamed if veto.item not in taken]


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


def grade_labels(grading: Grading) -> dict[str, str]:
    """The grade names the rules use (message ids): cadres' or public institutions' staff's."""
    return INSTITUTION_GRADE_LABELS if grading.labels == "institution" else GRADE_LABELS
