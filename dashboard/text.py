"""Text from a snapshot or a URL shown as text: ``plain`` for Markdown elements, ``plain_table`` for ``st.table``,
``csv_safe`` for spreadsheet cells.

Streamlit renders Markdown (links, images, colour and icon directives; raw HTML only with
``unsafe_allow_html``) in ``st.markdown``, ``st.caption``, the alert boxes, widget labels, expander labels and
``st.table`` cells. A school name or a query parameter is content, not markup: a name such as
``![x](http://…/q.png)`` would otherwise make every viewer's browser fetch a tracking image. ``plain``
backslash-escapes every character that opens Markdown or HTML structure (CommonMark lets any ASCII
punctuation be escaped, and an escaped one is always literal): brackets (links, images, ``:red[…]``
directives), ``<``/``>`` (HTML, autolinks), emphasis, code, math (``$``), tables, and a list or heading
marker at the start; it also breaks the bare ``http://`` / ``www.`` shapes that GitHub-flavoured Markdown
turns into links by itself. Newlines become spaces, so a value can never start a block of its own.

CSV downloads: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to a
spreadsheet (``=HYPERLINK(…)``). ``csv_safe`` prefixes such text cells with a single quote, as OWASP's
"CSV injection" guidance advises; numbers (numeric columns, and text that is just a number such as ``-3``
or ``+2.5%``) stay numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

import polars as pl

# Everything that can open inline structure; "(", ")", ":", "/" and "." are left alone (harmless without
# these, and common in names and periods).
_SPECIAL: Final = frozenset("\\`*_[]<>!#|~${}&@")
_LEADING_MARKER: Final = re.compile(r"^(\d+)([.)])|^([-+=>])")
# Text GFM would autolink without any markup: a scheme or "www." — broken with a zero-width joiner after the
# first character, invisible to a reader.
_AUTOLINK: Final = re.compile(r"(?i)\b(h)(ttps?)|\b(w)(ww)|\b(m)(ailto)")
_ZERO_WIDTH_JOINER: Final = "\u2060"
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
_NUMBER: Final = re.compile(r"^[+-]?(\d+([.,]\d+)*|\d*\.\d+)(e[+-]?\d+)?%?$", re.IGNORECASE)


def plain(text: object) -> str:
    """``text`` as literal text inside any Streamlit Markdown element: no link, image, HTML or directive.

    Args:
        text: Anything; ``None`` becomes the empty string.

    Returns:
        Markdown source that displays exactly ``str(text)`` (newlines become spaces).
    """
    if text is None:
        return ""
    value = " ".join(str(text).split())
    value = _AUTOLINK.sub(lambda m: _ZERO_WIDTH_JOINER.join(g for g in m.groups() if g), value)
    escaped = "".join("\\" + character if character in _SPECIAL else character for character in value)
    # A list, quote or heading marker only counts at the start of a line: escape it there.
    return _LEADING_MARKER.sub(
        lambda m: f"{m.group(1)}\\{m.group(2)}" if m.group(1) else "\\" + m.group(3), escaped
    )


def _each_text_cell(frame: pl.DataFrame, change: Callable[[str], str]) -> pl.DataFrame:
    """A copy of ``frame`` with ``change`` applied to every cell of its text columns; other columns untouched.

    A plain Python loop over the (small, shown) table, not ``map_elements``: a polars Python UDF called from
    two script threads at once deadlocked the server (its worker threads waited for the GIL while the
    websocket handshakes of every new session hung), found by the load test with 4 concurrent sessions.
    """
    text_columns = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not text_columns:
        return frame
    return frame.with_columns(
        pl.Series(
            name, [None if v is None else change(v) for v in frame.get_column(name).to_list()], pl.String
        )
        for name in text_columns
    )


def plain_table(frame: pl.DataFrame) -> pl.DataFrame:
    """A copy of ``frame`` whose text columns are ``plain``-escaped, for ``st.table`` (which renders Markdown)."""
    return _each_text_cell(frame, plain)


def csv_cell(value: str) -> str:
    """One text cell neutralised for spreadsheets (OWASP): a formula-like start gets a leading ``'``."""
    if value.startswith(FORMULA_STARTS) and not _NUMBER.match(value):
        return "'" + value
    return value


def csv_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """A copy of ``frame`` with every text cell passed through ``csv_cell``; numeric columns untouched."""
    return _each_text_cell(frame, csv_cell)
