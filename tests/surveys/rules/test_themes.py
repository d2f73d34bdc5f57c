"""Comment themes on fixed Chinese and English sets, worked out by hand from the rules in
``surveys.rules.themes`` (lexicon first, then shared keywords, at least k per theme)."""

from __future__ import annotations

import random

from surveys.rules.themes import KEYWORD, comment_themes, stem, words

# Twelve comments (and a blank one, which is no comment).  By hand, at k = 3:
# - work style: 作风/务实/深入基层, 作风/调研, 作风严谨 (contains 作风)/联系群众 -> 3;
# - efficiency: 排队/效率, 拖延/效率, 效率/一次办好 -> 3 (two keywords each; the shortest
#   two are the examples);
# - service (1), communication (1), integrity (1): below k, so back to the rest;
# - of the rest, 会议 is shared by three comments -> a keyword theme of 3;
# - service, communication and integrity share no word with two others -> 3 in no theme.
CHINESE = [
    "工作作风务实，经常深入基层",
    "作风扎实，调研细致",
    "作风严谨，联系群众紧密",
    "窗口排队时间太长，效率不高",
    "办事拖延，效率有待提高",
    "审批效率高，一次办好",
    "服务态度冷漠，脸色难看",
    "沟通不够，希望多听取下属意见",
    "廉洁自律，办事公道",
    "会议太多，文件太多",
    "会议冗长，占用时间",
    "会议多，落实少",
    "  ",
]
# Ten comments.  By hand, at k = 3: communication (listen/explain, communicate,
# coordination/listen) 3; efficiency (slow/queue, efficient/quick, waiting/slow; "service"
# once, so efficiency wins) 3; "meeting" shared by three others 3; "Honest and fair"
# (integrity, alone) in no theme.
ENGLISH = [
    "Slow to reply; the queue at the window is long",
    "Efficient and quick with applications",
    "Long waiting times at the service hall, very slow",
    "Listens well and explains decisions clearly",
    "Should communicate more with the team",
    "Good coordination between departments, listens to staff",
    "Too many meetings",
    "Meetings run late and meetings start late",
    "Cut the meetings in half",
    "Honest and fair",
]


def summary(result) -> list[tuple]:
    return [(t.key, t.label, t.count, t.examples) for t in result.themes]


def test_chinese_comments_group_into_lexicon_and_keyword_themes():
    result = comment_themes(CHINESE, 3)
    assert (result.comments, result.unthemed) == (12, 3)
    assert summary(result) == [
        ("work_style", "Work style", 3, ("工作作风务实，经常深入基层", "作风扎实，调研细致")),
        ("efficiency", "Efficiency", 3, ("审批效率高，一次办好", "办事拖延，效率有待提高")),
        (KEYWORD, "会议", 3, ("会议多，落实少", "会议冗长，占用时间")),
    ]
    assert result.themes[1].terms == ("效率", "一次办好", "拖延", "排队")


def test_english_comments_group_into_lexicon_and_keyword_themes():
    result = comment_themes(ENGLISH, 3)
    assert (result.comments, result.unthemed) == (10, 1)
    assert summary(result) == [
        (
            "communication",
            "Communication and coordination",
            3,
            (
                "Listens well and explains decisions clearly",
                "Good coordination between departments, listens to staff",
            ),
        ),
        (
            "efficiency",
            "Efficiency",
            3,
            (
                "Efficient and quick with applications",
                "Slow to reply; the queue at the window is long",
            ),
        ),
        (KEYWORD, "meeting", 3, ("Meetings run late and meetings start late", "Too many meetings")),
    ]
    assert result.themes[1].terms == ("slow", "efficient", "queue", "quick", "waiting")


def test_the_themes_do_not_depend_on_the_comments_order():
    mixed = CHINESE + ENGLISH
    shuffled = list(mixed)
    random.Random(7).shuffle(shuffled)
    assert comment_themes(shuffled, 3) == comment_themes(mixed, 3)


def test_a_theme_needs_k_comments():
    result = comment_themes(CHINESE, 4)  # no theme reaches four comments
    assert (result.comments, result.themes, result.unthemed) == (12, (), 12)


def test_fewer_than_k_comments_give_no_themes_at_all():
    two = ["作风务实", "作风扎实"]
    assert comment_themes(two, 3).themes == ()
    assert comment_themes(two, 3).comments == 2
    assert [t.count for t in comment_themes(two, 2).themes] == [2]


def test_words_segment_chinese_and_trim_english():
    assert words("吃拿卡要现象要杜绝") == ["吃拿卡要", "现象", "杜绝"]
    assert words("Strong professional SKILLS, deep knowledge!") == [
        "strong",
        "professional",
        "skill",
        "deep",
        "knowledge",
    ]
    assert [stem(w) for w in ("queries", "process", "status", "meetings")] == [
        "query",
        "process",
        "status",
        "meeting",
    ]


def test_keyword_themes_stop_at_the_limit_the_rest_in_no_theme():
    # Three comments on each of four words none of the lexicon knows.
    comments = [f"{word}{n}号" for word in ("会议", "文件", "报表", "检查") for n in range(3)]
    found = comment_themes(comments, 3)
    assert [(t.label, t.count) for t in found.themes] == [
        ("会议", 3),
        ("报表", 3),
        ("文件", 3),
        ("检查", 3),
    ]
    capped = comment_themes(comments, 3, keyword_themes=2)
    assert [(t.label, t.count) for t in capped.themes] == [("会议", 3), ("报表", 3)]
    assert capped.unthemed == 6
