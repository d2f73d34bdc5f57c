"""Comment themes: free-text comments grouped by what they are about, with counts and examples.

HR reads hundreds of comments; a theme list ("Work style: 7 comments, e.g.
...") says what many raters said without reading each one.  The grouping
is deterministic and explainable, so the same comments always give the
same themes, whatever order they come in, and HR can tell why a comment
sits where it does:

1. **Words.**  Chinese runs are segmented with jieba (its own dictionary,
   plus the lexicon's words so "吃拿卡要" stays one word); Latin text is
   lower-cased, split into words and plurals trimmed ("skills" → "skill").
   Stop words, single Chinese characters and digits are dropped.
2. **Lexicon themes.**  A fixed lexicon of the themes that cadre comments
   are usually about (工作作风, 廉洁自律, 担当作为, 改革创新, 沟通协调,
   业务能力, 服务态度, 办事效率), each with Chinese and English keywords.
   A comment goes to the theme whose keywords it uses most (ties: lexicon
   order).
3. **Keyword themes.**  Comments no lexicon theme took (or whose theme is
   below the threshold) are grouped greedily by the word most of them
   share (ties: the word's sort order), then the next, while a word is
   shared by at least the threshold's number of comments, five such themes
   at most (a large unit's list stays readable).
4. **Threshold.**  A theme is shown only with at least ``k`` comments, and
   there are no themes at all from fewer than ``k`` comments: a theme of
   one or two comments would point at their authors.

Examples are the comments using the theme's words most, the shorter first,
then in text order, so they are stable too.  Which comments may be themed
at all is the caller's rule (``surveys.results.suggestions``): only those the
reports would show.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from surveys.rules.messages import N_


@dataclass(frozen=True)
class ThemeRule:
    """A lexicon theme: its key, its name (a message id) and its keywords in both languages."""

    key: str
    label: str
    keywords: tuple[str, ...]


LEXICON = (
    ThemeRule(
        "work_style",
        N_("Work style"),
        ("作风", "务实", "基层", "深入基层", "形式主义", "官僚主义", "调研", "联系群众",
         "接地气", "style", "practical", "grassroots", "bureaucratic", "bureaucracy",
         "formalism", "field", "visit"),
    ),
    ThemeRule(
        "integrity",
        N_("Integrity"),
        ("廉洁", "清廉", "廉政", "自律", "纪律", "公道", "公正", "吃拿卡要", "送礼", "腐败",
         "integrity", "honest", "honesty", "clean", "bribe", "bribery", "corruption",
         "corrupt", "fair", "fairness", "gift"),
    ),
    ThemeRule(
        "responsibility",
        N_("Taking responsibility"),
        ("担当", "负责", "责任心", "责任", "敢于", "推诿", "扯皮", "执行力",
         "responsibility", "responsible", "accountable", "accountability", "ownership",
         "initiative", "blame"),
    ),
    ThemeRule(
        "innovation",
        N_("Innovation"),
        ("创新", "改革", "新思路", "新办法", "创造性", "innovation", "innovative", "creative",
         "reform", "idea"),
    ),
    ThemeRule(
        "communication",
        N_("Communication and coordination"),
        ("沟通", "交流", "倾听", "协调", "团结", "听取", "communication", "communicate",
         "listen", "listening", "coordination", "coordinate", "explain", "teamwork"),
    ),
    ThemeRule(
        "competence",
        N_("Professional competence"),
        ("业务", "专业", "能力", "业务能力", "专业知识", "expertise", "skill", "knowledge",
         "professional", "competent", "competence"),
    ),
    ThemeRule(
        "service",
        N_("Service attitude"),
        ("态度", "热情", "耐心", "服务", "微笑", "冷漠", "脸色", "attitude", "friendly",
         "patient", "polite", "rude", "service", "courteous"),
    ),
    ThemeRule(
        "efficiency",
        N_("Efficiency"),
        ("效率", "拖延", "及时", "高效", "排队", "等待", "一次办好", "efficiency", "efficient",
         "slow", "delay", "quick", "quickly", "wait", "waiting", "queue"),
    ),
)  # fmt: skip


def _listed(text: str) -> frozenset[str]:
    """A word list written as text, one space between words (easier to read and edit)."""
    return frozenset(text.split())


KEYWORD = "keyword"  # the key of a data-driven theme; its label is the word itself
MAX_KEYWORD_THEMES = 5

ENGLISH_STOP_WORDS = _listed(
    """a about above after again against all also always am an and any are as at be
    because been before being below between both but by can could did do does doing down
    during each even ever every few for from further get gets had has have having he her
    here hers him his how however i if in into is it its itself just let like lot lots
    made make makes many me more most much must my never no nor not now of off often on
    once only or other our ours out over own quite rather really same see seems she
    should so some still such than that the their them then there these they this those
    through to too under until up upon us very was we well were what when where which
    while who whom why will with would yet you your good great better best bad nice
    thing things work works working job always sometimes hope needs need should"""
)
CHINESE_STOP_WORDS = _listed(
    """的 了 和 是 在 也 很 都 就 有 我 我们 他 她 他们 其 对 与 及 等 这 那 这个 那个
    要 能 会 不 没有 非常 比较 还 更 希望 建议 工作 领导 同志 能够 进一步 加强 提高 一些
    有些 还是 但是 但 而且 并且 因为 所以 如果 已经 一直 总是 有时 这样 那样 什么
    一个 自己 大家 方面 情况 问题 注意 继续 保持 进行 需要 应该 可以 特别"""
)
_CHINESE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_LATIN = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class Theme:
    """One theme: what it is (a lexicon key and message id, or ``KEYWORD`` and the word),
    how many comments it holds, up to two examples, and the words that put them there."""

    key: str
    label: str
    count: int
    examples: tuple[str, ...]
    terms: tuple[str, ...]


@dataclass(frozen=True)
class CommentThemes:
    """The themes of a set of comments (largest first), and how many comments no shown
    theme holds."""

    comments: int
    themes: tuple[Theme, ...] = ()
    unthemed: int = 0


def stem(word: str) -> str:
    """An English word without its plural ending, so "skills" and "skill" count as one."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@cache
def _segmenter():
    """A jieba tokenizer of our own (the global one is shared state), knowing the lexicon's
    Chinese words; made once per process (loading the dictionary takes about a second)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    for rule in LEXICON:
        for word in rule.keywords:
            if _CHINESE.fullmatch(word):
                tokenizer.add_word(word, freq=100_000)
    return tokenizer


def words(text: str) -> list[str]:
    """The content words of a comment, in order: Chinese segmented, English stemmed,
    stop words, single Chinese characters and everything else dropped."""
    text = unicodedata.normalize("NFKC", text).lower()
    found: list[str] = []
    position = 0
    for run in _CHINESE.finditer(text):
        found += _latin_words(text[position : run.start()])
        found += [
            word
            for word in _segmenter().lcut(run.group(), HMM=False)
            if len(word) > 1 and word not in CHINESE_STOP_WORDS
        ]
        position = run.end()
    return found + _latin_words(text[position:])


@lru_cache(maxsize=65_536)
def _cached_words(text: str) -> tuple[str, ...]:
    """``words``, kept: a cadre's comments are themed again in the unit's pool."""
    return tuple(words(text))


def _latin_words(text: str) -> list[str]:
    """Lower-case English words of three letters or more, stemmed, without stop words."""
    return [
        stem(word)
        for word in _LATIN.findall(text)
        if len(word) > 2 and word not in ENGLISH_STOP_WORDS
    ]


def matches(found: Sequence[str], keywords: frozenset[str]) -> list[str]:
    """The keywords a comment's words use, once per word: a word equal to a keyword, or a
    Chinese word containing one (jieba keeps "作风严谨" whole; it is about "作风")."""
    used = []
    for word in found:
        if word in keywords:
            used.append(word)
        elif _CHINESE.fullmatch(word):
            inside = sorted(keyword for keyword in keywords if keyword in word)
            if inside:
                used.append(max(inside, key=len))
    return used


@cache
def _keywords() -> tuple[frozenset[str], ...]:
    """Each lexicon theme's keywords as ``words`` would give them back."""
    return tuple(frozenset(stem(word) for word in rule.keywords) for rule in LEXICON)


def comment_themes(
    comments: Iterable[str], k: int, *, examples: int = 2, keyword_themes: int = MAX_KEYWORD_THEMES
) -> CommentThemes:
    """Group comments into themes of at least ``k`` comments each (see the module's rules).

    Blank comments are not comments.  With fewer than ``k`` comments in all
    there are no themes.  At most ``keyword_themes`` keyword themes follow the
    lexicon's, so a large unit's list stays readable; the rest count as in no
    theme.  The result does not depend on the comments' order.
    """
    written = sorted(c.strip() for c in comments if c and c.strip())
    if len(written) < max(k, 1):
        return CommentThemes(len(written))
    tokens = [list(_cached_words(comment)) for comment in written]
    keywords = _keywords()
    chosen: dict[int, list[int]] = {}  # lexicon position -> comment positions
    rest: list[int] = []
    for position, found in enumerate(tokens):
        hits = [len(matches(found, rule)) for rule in keywords]
        best = max(range(len(LEXICON)), key=lambda r: (hits[r], -r))
        if hits[best]:
            chosen.setdefault(best, []).append(position)
        else:
            rest.append(position)
    themes = []
    for rule_position, members in chosen.items():
        if len(members) < k:
            rest += members
            continue
        rule = LEXICON[rule_position]
        found = [matches(tokens[position], keywords[rule_position]) for position in members]
        themes.append(_theme(rule.key, rule.label, members, written, found, examples))
    themes += _keyword_themes(sorted(rest), written, tokens, k, examples, keyword_themes)
    order = {rule.key: position for position, rule in enumerate(LEXICON)}
    themes.sort(key=lambda t: (-t.count, order.get(t.key, len(order)), t.label))
    themed = sum(theme.count for theme in themes)
    return CommentThemes(len(written), tuple(themes), len(written) - themed)


def _keyword_themes(
    rest: list[int],
    written: Sequence[str],
    tokens: Sequence[list[str]],
    k: int,
    examples: int,
    limit: int,
) -> list[Theme]:
    """Themes of the comments left over: greedily, the word most of them share, while at
    least ``k`` comments share one, ``limit`` themes at most."""
    themes = []
    rest = list(rest)
    while rest and len(themes) < limit:
        shared = Counter(word for position in rest for word in set(tokens[position]))
        if not shared:
            break
        word, count = min(shared.items(), key=lambda item: (-item[1], item[0]))
        if count < max(k, 1):
            break
        members = [position for position in rest if word in tokens[position]]
        found = [[used for used in tokens[position] if used == word] for position in members]
        themes.append(_theme(KEYWORD, word, members, written, found, examples))
        taken = set(members)
        rest = [position for position in rest if position not in taken]
    return themes


def _theme(
    key: str,
    label: str,
    members: list[int],
    written: Sequence[str],
    found: list[list[str]],
    examples: int,
) -> Theme:
    """A theme of the comments at ``members`` (``found``: the theme's keywords each used):
    count, examples (the comments using the keywords most), and the keywords used."""
    used = Counter(word for words_used in found for word in words_used)
    order = sorted(
        range(len(members)),
        key=lambda i: (-len(found[i]), len(written[members[i]]), written[members[i]]),
    )
    best = tuple(written[members[i]] for i in order[:examples])
    terms = tuple(word for word, _ in sorted(used.items(), key=lambda item: (-item[1], item[0])))
    return Theme(key, label, len(members), best, terms)
