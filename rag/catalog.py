"""Document names: the titles, short names and aliases by which questions and files name documents.

One module for name resolution, used by ingestion (to record aliases) and by the question path
(to find the document a question names).
"""

from __future__ import annotations

import re


def aliases_for(title: str) -> list[str]:
    """Short names people use: 党章; the title without 中国共产党/党政机关; without （试行）."""
    out: list[str] = []
    if title == "中国共产党章程":
        out.append("党章")
    base = re.sub(r"[（(](?:试行|\d{4}年(?:修订)?(?:版)?)[）)]$", "", title)
    if base != title:
        out.append(base)
    for prefix in ("中国共产党", "党政机关"):
        if base.startswith(prefix) and len(base) - len(prefix) >= 4:
            short = base[len(prefix):]
            out.append(short)
            if short.startswith("党和国家") and len(short) > 8:  # 党和国家机关基层组织工作条例
                out.append(short[len("党和国家"):])
    return [a for a in dict.fromkeys(out) if a and a != title]
