"""Markdown → plain text that extraction can read without tripping over markup.

The words stay; the markup goes: front matter, code-fence markers (the code inside is kept),
heading `#`s and setext underlines, block quotes, list bullets and task boxes, horizontal rules,
table pipes and separator rows, emphasis, inline code ticks, links and images (→ their text),
reference definitions, HTML tags and comments, and backslash escapes. Line structure is kept, so
paragraphs stay paragraphs for the chunker. Not a CommonMark renderer: a small, predictable
rewrite, applied the same way every time.
"""

from __future__ import annotations

import re

_ESCAPABLE = "\\`*_{}[]()#+-.!>~|<"
_ESC_BASE = 0xE000  # private-use code points stand in for escaped characters meanwhile
_UNESCAPE = {_ESC_BASE + index: char for index, char in enumerate(_ESCAPABLE)}

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ESCAPE = re.compile(r"\\([" + re.escape(_ESCAPABLE) + r"])")

# Whole-line rules, tried in order; the first that matches rewrites the line.
_LINE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^ {0,3}\[[^\]\n]+\]:\s+\S.*$"), ""),  # reference definition
    (re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$"), ""),  # horizontal rule
    (re.compile(r"^ {0,3}=+[ \t]*$"), ""),  # setext underline (--- is a rule above)
    (re.compile(r"^[ \t]*\|?(?:[ \t]*:?-+:?[ \t]*\|)+(?:[ \t]*:?-+:?[ \t]*)?$"), ""),  # table rule
    (re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$"), r"\1"),  # ATX heading
    (re.compile(r"^ {0,3}#{1,6}[ \t]*$"), ""),  # empty heading
)
# Prefix rules: each strips its marker and the line goes on to the next.
_PREFIX_RULES: tuple[re.Pattern[str], ...] = (
    re.compile(r"^ {0,3}(?:>[ \t]?)+"),  # block quote
    re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?"),  # list item, task box
)
_TABLE_ROW = re.compile(r"^[ \t]*\|(.*)$")
_TABLE_CELL_SEP = re.compile(r"[ \t]*\|[ \t]*")

# Inline rules, applied in order to every line outside code fences. No span may contain its own
# delimiter, so each match attempt stops at the next delimiter and a hostile line (thousands of
# unclosed `*` or `[`) costs linear time, never quadratic.
_INLINE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"!\[([^\[\]\n]{0,1000})\]\([^()\n]{0,2000}\)"), r"\1"),  # image → alt
    (re.compile(r"\[([^\[\]\n]{1,1000})\]\([^()\n]{0,2000}\)"), r"\1"),  # link → text
    (re.compile(r"\[([^\[\]\n]{1,1000})\]\[[^\[\]\n]{0,1000}\]"), r"\1"),  # reference link
    (re.compile(r"<((?:https?|mailto):[^<>\s]{1,2000})>"), r"\1"),  # autolink → address
    (re.compile(r"</?[A-Za-z][A-Za-z0-9-]{0,30}(?:\s[^<>\n]{0,2000})?/?>"), ""),  # HTML tag
    (re.compile(r"(`{1,10})([^`\n]{1,1000})\1"), r"\2"),  # inline code → its text
    (re.compile(r"\*\*(?=\S)([^*\n]{1,1000})(?<=\S)\*\*"), r"\1"),  # **strong**
    (re.compile(r"__(?=\S)([^_\n]{1,1000})(?<=\S)__"), r"\1"),  # __strong__
    (re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]{1,1000})(?<=\S)\*(?![\w*])"), r"\1"),  # *em*
    (re.compile(r"(?<![\w_])_(?=[^\s_])([^_\n]{1,1000})(?<=\S)_(?![\w_])"), r"\1"),  # _em_
    (re.compile(r"~~(?=\S)([^~\n]{1,1000})(?<=\S)~~"), r"\1"),  # ~~strikethrough~~
)
_BLANK_RUN = re.compile(r"\n{3,}")


def strip_markdown(text: str) -> str:
    """The text of a Markdown document with its markup removed (see the module docstring)."""
    text = _FRONT_MATTER.sub("", text, count=1)
    text = _HTML_COMMENT.sub("", text)
    text = _ESCAPE.sub(lambda m: chr(_ESC_BASE + _ESCAPABLE.index(m.group(1))), text)
    lines: list[str] = []
    in_fence: str | None = None
    for line in text.split("\n"):
        fence = _FENCE.match(line)
        if fence and (in_fence is None or fence.group(1).startswith(in_fence)):
            in_fence = fence.group(1)[:3] if in_fence is None else None
            lines.append("")
        else:
            lines.append(line.rstrip() if in_fence else _strip_line(line))
    joined = _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip("\n")
    return joined.translate(_UNESCAPE)


def _strip_line(line: str) -> str:
    for pattern, replacement in _LINE_RULES:
        if pattern.match(line):
            return _strip_inline(pattern.sub(replacement, line, count=1))
    for prefix in _PREFIX_RULES:
        line = prefix.sub("", line, count=1)
    row = _TABLE_ROW.match(line)
    if row:
        cells = _TABLE_CELL_SEP.split(row.group(1).strip().removesuffix("|"))
        line = "; ".join(cell for cell in cells if cell)
    return _strip_inline(line).rstrip()


def _strip_inline(line: str) -> str:
    for pattern, replacement in _INLINE_RULES:
        line = pattern.sub(replacement, line)
    return line
