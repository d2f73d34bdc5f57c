"""Rule presets: the grading rules and periods of a kind of assessment, each with its source.

A preset (a YAML file in ``surveys/presets/``) holds what the regulations fix
for one kind of assessment: the grade names, the vote rules (``at_least`` or
``more_than``, said outright), the 诫勉 rule, the Excellent quota (share,
pool, rounding), the situations that bar a grade (flags HR sets per
cadre), and the publicity, review and appeal periods with how their days
are counted.  Every number sits beside its citation, and every number is a
setting of the preset, never a constant in the code.  A citation says
whether its rule was compared with the text of the article (``checked``);
a checked one quotes the sentence and gives the page read
(``citation_problems`` holds every preset file to that).

A template names a preset (``preset: civil-servant-annual``) and may set any
of those numbers itself; ``apply_preset`` lays the template's values over the
preset's, and ``preset_overrides`` lists where the two differ so every
output can say which numbers are not the preset's.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from importlib import resources
from typing import Any

import yaml

PRESETS_DIR = "presets"
"""The preset files, beside the built-in templates in the ``surveys`` package."""
PRESET_FIELDS = ("grading", "windows")
"""What a preset gives a template; its ``key``, ``title`` and ``kind`` describe the preset."""


CHECKED_FIELDS = ("article", "quote", "url")
"""What a citation checked against the text must give: where, what it says, where it was read."""


class PresetError(ValueError):
    """A preset name that names no preset, or a preset file whose citations fall short."""


@dataclass(frozen=True)
class Override:
    """A number the template set unlike its preset: where, the preset's, the template's."""

    path: str
    preset: Any
    template: Any


def preset_names() -> list[str]:
    """The presets shipped with the product."""
    folder = resources.files("surveys") / PRESETS_DIR
    return sorted(
        entry.name.removesuffix(".yaml")
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    )


def preset_data(name: str) -> dict:
    """A preset's raw rules, as written in its file."""
    if name not in preset_names():
        raise PresetError(f"unknown preset {name!r}; use one of {', '.join(preset_names())}")
    text = (resources.files("surveys") / PRESETS_DIR / f"{name}.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    problems = citation_problems(data)
    if problems:
        raise PresetError(f"preset {name}: {'; '.join(problems)}")
    return data


def preset_citations(data: dict) -> list[tuple[str, dict | None]]:
    """Every rule of a preset with its citation (None where it has none), by dotted path."""
    grading = data.get("grading") or {}
    found: list[tuple[str, dict | None]] = []
    if "bands" in grading:
        found.append(("grading.bands", grading.get("bands_citation")))
    for name, key in (("votes", _vote_key), ("flags", _flag_key)):
        for rule in grading.get(name) or []:
            label = ".".join(str(part) for part in key(rule)) if name == "votes" else key(rule)
            found.append((f"grading.{name}[{label}]", rule.get("citation")))
    for name in ("quota", "admonition"):
        if isinstance(grading.get(name), dict):
            found.append((f"grading.{name}", grading[name].get("citation")))
    for name, window in (data.get("windows") or {}).items():
        if isinstance(window, dict):
            found.append((f"windows.{name}", window.get("citation")))
    return found


def citation_problems(data: dict) -> list[str]:
    """What a preset's citations lack: every rule cites a source; a checked one says where.

    A citation marked ``checked`` names the article, quotes the sentence and
    gives the address of the page read; a product default (``basis:
    default``) has no text to be checked against.  The numbers themselves
    stay settings of the preset: nothing here reads them.
    """
    problems = []
    for path, citation in preset_citations(data):
        if not isinstance(citation, dict) or not citation.get("source"):
            problems.append(f"{path} cites no source")
            continue
        if citation.get("checked"):
            missing = [field for field in CHECKED_FIELDS if not citation.get(field)]
            if missing:
                problems.append(f"{path} is checked but gives no {', '.join(missing)}")
            if citation.get("basis") == "default":
                problems.append(f"{path} is a product default and cannot be checked")
    return problems


def _laid_over(base: dict, own: dict) -> dict:
    """One rule with the template's fields over the preset's.

    A rule the template changed without citing anything no longer rests on
    the preset's citation: that source says what the preset says, not what
    the template made of it, so the citation goes and the override shows.
    """
    merged = base | own
    changed = any(
        not _same(base.get(name), value) for name, value in own.items() if name != "citation"
    )
    if changed and "citation" not in own and "citation" in base:
        merged["citation"] = None
    return merged


def _same(preset: Any, template: Any) -> bool:
    """Whether two written values are the same setting: 0.2, "1/5" and "0.2" are one share."""
    if preset == template:
        return True
    numbers = (int, float, str)
    if isinstance(preset, numbers) and isinstance(template, numbers):
        try:
            return Fraction(repr(preset) if isinstance(preset, float) else str(preset)) == Fraction(
                repr(template) if isinstance(template, float) else str(template)
            )
        except (ValueError, ZeroDivisionError):
            return False
    return False


def _by_key(rules: list, key) -> dict:
    """Rules of a list keyed the way a template names the one it overrides."""
    return {key(rule): rule for rule in rules if isinstance(rule, dict)}


def _merged_list(preset: list, template: list, key) -> list:
    """The preset's rules with the template's fields laid over the same rule; new ones after."""
    own = _by_key(template, key)
    merged = [_laid_over(rule, own.pop(key(rule), {})) for rule in preset]
    return merged + [rule for rule in template if not isinstance(rule, dict) or key(rule) in own]


def _vote_key(rule: dict) -> tuple:
    return (rule.get("grade"), rule.get("effect"))


def _flag_key(rule: dict) -> object:
    return rule.get("key")


def _merged_grading(preset: dict, template: dict) -> dict:
    """The template's grading over the preset's: numbers replaced, rules matched by their key."""
    merged = dict(preset)
    for name, value in template.items():
        if name == "votes" and isinstance(value, list):
            merged[name] = _merged_list(preset.get(name, []), value, _vote_key)
        elif name == "flags" and isinstance(value, list):
            merged[name] = _merged_list(preset.get(name, []), value, _flag_key)
        elif isinstance(value, dict) and isinstance(preset.get(name), dict):
            merged[name] = _laid_over(preset[name], value)
        else:
            merged[name] = value
    return merged


def apply_preset(data: dict) -> dict:
    """A template's data with its preset's rules under its own (the template's win).

    Idempotent: applied to its own result it gives the same, so a campaign's
    snapshot (which holds the merged rules) reads back unchanged.
    """
    preset = preset_data(data["preset"])
    merged = dict(data)
    grading = data.get("grading") or {}
    merged["grading"] = _merged_grading(preset.get("grading", {}), grading)
    windows = dict(preset.get("windows", {}))
    for name, window in (data.get("windows") or {}).items():
        base = windows.get(name)
        both = isinstance(window, dict) and isinstance(base, dict)
        windows[name] = _laid_over(base, window) if both else window
    merged["windows"] = windows
    return merged


def preset_overrides(questionnaire) -> list[Override]:
    """Where a questionnaire's rules differ from its preset's (none without a preset).

    Both sides go through the same models, so "0.2" and "1/5" are the same
    number and only a real difference is listed.
    """
    if questionnaire.preset is None:
        return []
    from surveys.rules.questionnaire import Questionnaire

    plain = questionnaire.model_dump(mode="json")
    base = Questionnaire.model_validate(
        {name: value for name, value in plain.items() if name not in PRESET_FIELDS}
    ).model_dump(mode="json")
    found: list[Override] = []
    for name in PRESET_FIELDS:
        _differences(name, base[name], plain[name], found)
    return found


def _differences(path: str, preset: Any, template: Any, found: list[Override]) -> None:
    """Collect the leaves where two plain structures differ, with their dotted paths."""
    if isinstance(preset, dict) and isinstance(template, dict):
        for name in dict.fromkeys([*preset, *template]):
            _differences(f"{path}.{name}", preset.get(name), template.get(name), found)
    elif isinstance(preset, list) and isinstance(template, list) and len(preset) == len(template):
        for index, (left, right) in enumerate(zip(preset, template, strict=True)):
            _differences(f"{path}[{index}]", left, right, found)
    elif preset != template:
        found.append(Override(path, preset, template))


def preset_kind(questionnaire) -> str | None:
    """The kind of assessment (annual, term...) of a questionnaire's preset; None without one."""
    return preset_data(questionnaire.preset)["kind"] if questionnaire.preset else None


def with_preset(questionnaire, name: str):
    """A questionnaire's questions under a preset's rules (``cadre campaign create --preset``).

    The preset's rules replace the template's; only the template's vetoes stay,
    since they name the template's own items, which no preset can know.
    """
    from surveys.rules.questionnaire import Questionnaire

    preset_data(name)  # an unknown name says so before anything else
    plain = questionnaire.model_dump(mode="json")
    vetoes = plain["grading"]["vetoes"]
    plain.update({"preset": name, "grading": {"vetoes": vetoes}, "windows": {}})
    return Questionnaire.model_validate(plain)
