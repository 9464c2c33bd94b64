"""The roles a new cadre may hold, and the names people call them by.

The one role table, low-level (it imports only `errors` and `vocabulary`) so that the question path (a search
answer that names a role points to that role's duty checklist; the search adds the words the
documents file the role's work under) and `rag.onboarding` (the checklist itself) read the same
names. The duties of each role live in `rag/onboarding/duties.toml`.

    resolve_role("支部书记") → "支部书记"      resolve_role("纪检委员") → "纪委委员"
    role_in_question("我是新任支部书记，先做什么？") → "支部书记"
    role_in_question("预备党员的预备期多长？") → None   (bare 党员 is not a role in a question)
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import CorpusError
from .vocabulary import WHICH_WHAT, alternation

# The reviewed duty table (which article binds which role): data, read here so both the question
# path and rag.onboarding use one reader.
DUTIES_PATH = Path(__file__).with_name("onboarding") / "duties.toml"
FOCUS_GROUP = "本年度重点（要点）"
# "要抓哪些工作", "党组书记要负什么责任", "作为党务干部要做什么": the role's duties in general, not one topic.
_WHICH = alternation(WHICH_WHAT)
_ASKS_DUTIES = re.compile(
    rf"(?:抓|做|干)(?:{_WHICH})(?:工作|事)?|哪些工作|什么工作|"
    rf"(?:有|是|负|担)(?:{_WHICH})(?:职责|责任|任务)|职责(?:是什么|有哪些)|工作重点|重点工作|"
    r"先做什么|先抓什么|从哪里入手|从何入手"
)


@dataclass(frozen=True, slots=True)
class Role:
    """`name` is the short name used in commands and URLs; `title` the full name shown. `search`:
    the names a question may call the role by, each with the words the documents file its work
    under, added to the search query (rag/glossary.py `expand`). `checklist`: the role has a
    reviewed duty checklist (rag/onboarding/duties.toml), so onboarding lists it and a question that
    names it gets the checklist's note and the role_duties route."""

    name: str
    title: str
    aliases: tuple[str, ...]
    search: tuple[tuple[str, str], ...] = ()
    checklist: bool = True


# The one role table. Order: the checklist roles as onboarding lists them, then the roles that
# only widen a search (their duties are not reviewed, so they get no checklist and no route).
ROLE_TABLE: tuple[Role, ...] = (
    Role(
        "支部书记",
        "支部书记（机关党支部）",
        ("党支部书记", "机关党支部书记", "支部副书记", "党支部副书记", "支书", "支部书记（机关党支部）"),
        (("支部书记", "党支部 党员教育管理 三会一课 组织生活"),),
    ),
    Role(
        "党组书记",
        "党组（党委）书记",
        (
            "党组（党委）书记",
            "党组(党委)书记",
            "党委（党组）书记",
            "部门党组书记",
            "单位党组书记",
            "党委书记",
        ),
        (("党组书记", "主体责任 第一责任人"),),
    ),
    Role(
        "纪委委员",
        "机关党委/纪委委员",
        (
            "机关党委/纪委委员",
            "机关党委委员",
            "机关纪委委员",
            "机关党委书记",
            "机关纪委书记",
            "纪委书记",
            "纪检委员",
            "纪律检查委员",
        ),
        (("纪检委员", "纪律 监督 警示教育"), ("纪委书记", "纪律 监督执纪 机关纪委")),
    ),
    Role("党务干部", "党务干部", ("党务工作者", "党务工作人员", "专职党务干部", "兼职党务干部", "组织员"),
         (("党务干部", "党务干部 培训"),)),
    Role("党员", "普通党员", ("普通党员",)),
    Role("组织委员", "组织委员", (), (("组织委员", "三会一课 组织生活 主题党日"),), checklist=False),
    Role("宣传委员", "宣传委员", (), (("宣传委员", "意识形态 宣传 阵地"),), checklist=False),
    Role("班子成员", "班子成员", (), (("班子成员", "一岗双责 分管"),), checklist=False),
    Role("年轻干部", "年轻干部", (), (("年轻干部", "年轻干部 青年 理论学习"),), checklist=False),
)
# The roles with a duty checklist: what onboarding lists and questions are matched against.
ROLES: tuple[Role, ...] = tuple(r for r in ROLE_TABLE if r.checklist)


def search_words(question: str) -> list[str]:
    """The words the search adds for every role a question names, as the table writes them."""
    return [words for r in ROLE_TABLE for written, words in r.search if written in question]


# A bare 党员 names the role only when the asker says they are one ("作为一名党员…", "我是党员").
_MEMBER = re.compile(
    r"(?:我是|作为|身为|当了|成为)(?:一名|一个|一位)?(?:新|普通|正式)?党员(?!大会|领导|干部|教育|组织)"
)


def _names() -> list[tuple[str, str]]:
    """(alias, role name), longest alias first, so 机关党委书记 wins over 党委书记."""
    pairs = [(alias, r.name) for r in ROLES for alias in (r.name, *r.aliases)]
    return sorted(pairs, key=lambda p: len(p[0]), reverse=True)


_BY_NAME = _names()


def resolve_role(text: str) -> str | None:
    """The role a command-line or URL argument names (its short name, full title or an alias)."""
    key = text.strip().replace("(", "（").replace(")", "）")
    return next(
        (name for alias, name in _BY_NAME if key == alias.replace("(", "（").replace(")", "）")), None
    )


def role_in_question(text: str) -> str | None:
    """The role a question names, or None. The longest name found wins; 党员 only when personal."""
    found = next((name for alias, name in _BY_NAME if alias != "党员" and alias in text), None)
    if found is not None:
        return found
    return "党员" if _MEMBER.search(text) else None


def asks_duties(text: str) -> bool:
    """A question about a role's duties in general (要抓哪些工作), not about one topic (怎么管理流动党员)."""
    return bool(_ASKS_DUTIES.search(text))


def checklist_note(name: str) -> str:
    """The pointer an answer about a role carries to that role's full, cited duty checklist."""
    return f"「{name}」的职责清单：dangjian duties {name}（网页“入门”页）"


def duty_table(path: Path = DUTIES_PATH) -> dict[str, Any]:
    """The reviewed table: roles → groups → [{key, sentence, why}]; CorpusError when unreadable.
    The shipped file is read once per process."""
    return _shipped_table() if path == DUTIES_PATH else _read_table(path)


@lru_cache(maxsize=1)
def _shipped_table() -> dict[str, Any]:
    return _read_table(DUTIES_PATH)


def _read_table(path: Path) -> dict[str, Any]:
    try:
        return dict(tomllib.loads(path.read_text(encoding="utf-8")).get("roles", {}))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise CorpusError(f"职责清单数据文件无法读取：{path}（{err}）") from err


def focus_entries(name: str) -> list[tuple[str, object]]:
    """(doc_id#ref, sentence spec) of the notice items the table assigns to a role for this year."""
    return [
        (str(e.get("key", "")), e.get("sentence")) for e in duty_table().get(name, {}).get(FOCUS_GROUP, [])
    ]


def role(name: str) -> Role:
    """The `Role` with this short name (KeyError for any other)."""
    for r in ROLES:
        if r.name == name:
            return r
    raise KeyError(name)
