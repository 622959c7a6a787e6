"""The error cells of a workbook's sheets (#N/A, #REF!, #VALUE!, ...), and its formulas
without a stored result, read from its XML.

The cell reader (calamine) hands an error cell over as an empty string, so a row made only
of error cells (formulas whose source sheet was deleted) looked blank and was skipped, and
an error in an id, date or name read as a missing value with no trace of the error in the
audit; an error it does not know (#SPILL!, a localised #NV) made it refuse the whole file.
The errors are found here instead, by their cell type in the sheet's XML (``t="e"``), so
the loader can keep each one's text as the raw value that staging then judges.
"""

from __future__ import annotations

import html
import posixpath
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

# One error cell's start tag (any attribute order, any namespace prefix); every row and cell
# start tag, for sheets whose cells do not all name their place (r="B7" is optional).
_ERROR_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?\bt\s*=\s*[\"']e[\"'][^>]*)>")
_ROW_OR_CELL = re.compile(rb"<(?:\w+:)?(row|c)\b([^>]*)>")
_TYPE_ERROR = re.compile(rb"\bt\s*=\s*[\"']e[\"']")
_CELL_END = re.compile(rb"</(?:\w+:)?c>")
_VALUE = re.compile(rb"<(?:\w+:)?v\b[^>]*>([^<]*)</(?:\w+:)?v\s*>")
_VALUE_ELEMENT = re.compile(rb"(<(?:\w+:)?v\b[^>]*>)[^<]*(</(?:\w+:)?v>)")
_CELL_REFERENCE = re.compile(rb"\br\s*=\s*[\"']([A-Za-z]+)([0-9]+)[\"']")
_ROW_REFERENCE = re.compile(rb"\br\s*=\s*[\"']([0-9]+)[\"']")
_SHEET = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)>")
_ATTRIBUTE = re.compile(rb"([\w:]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_RELATION = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)>")
_ERROR_CELL_WITH_VALUE = re.compile(
    rb"(<(?:\w+:)?c\b[^>]*?\bt\s*=\s*[\"']e[\"'][^>]*(?<!/)>)(.*?)(</(?:\w+:)?c>)", re.DOTALL)

UNNAMED_ERROR = "#ERROR!"  # an error cell that holds no text of its own (not written by Excel)
KNOWN_ERROR = b"#N/A"  # an error every reader knows, for readable_copy


# A cell and its content (no nesting: a cell holds no cells); a formula in it; its type.
_CELL_WITH_BODY = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c\s*>)",
                             re.DOTALL)
_FORMULA = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?f\s*>)")
_INLINE_TEXT = re.compile(rb"<(?:\w+:)?is\b")  # a result written as an inline string
# The workbook asks for every formula to be recomputed on opening. xlsxwriter (pandas'
# engine when it is installed) writes each formula with this flag and a placeholder
# result of 0; Apache POI and openpyxl set it too.
_FULL_CALC_ON_LOAD = re.compile(
    rb"<(?:\w+:)?calcPr\b[^>]*\bfullCalcOnLoad\s*=\s*[\"'](1|true)[\"']")
_RESULT_FOLLOWS = re.compile(rb"\s*<(?:\w+:)?v\b[^>]*>[^<]")  # a non-empty stored result
_PLACEHOLDER_FOLLOWS = re.compile(rb"\s*<(?:\w+:)?v\b[^>]*>\s*0\s*<")  # xlsxwriter's 0
_TYPE = re.compile(rb"\bt\s*=\s*[\"']([A-Za-z]+)[\"']")
# Types whose stored result may be empty: an empty text (="") is a result, an empty number
# is none. Error cells are error_cells' to read.
_TEXT_TYPES = {b"str", b"inlineStr", b"e"}
SHARED_FORMULA = "(a shared formula)"  # a cell of a filled-down range, its text kept elsewhere


class CellError(str):
    """An error cell's text: a value like any other in the table's columns, and no content
    elsewhere (a helper formula's #N/A beside the data does not make a row)."""


def error_cells(path: Path, sheets: set[str]) -> dict[str, dict[tuple[int, int], CellError]]:
    """For each wanted sheet (lower-case, trimmed name), its error cells as
    ``{(row, column): text}``, both 0-based as in the reader's grid (A1 is (0, 0)). A sheet
    without error cells is left out."""
    found: dict[str, dict[tuple[int, int], CellError]] = {}
    with zipfile.ZipFile(path) as archive:
        members = set(archive.namelist())
        for name, member in _sheet_members(archive).items():
            if name in sheets and member in members:
                cells = _sheet_errors(archive.read(member))
                if cells:
                    found[name] = cells
    return found


def readable_copy(path: Path, copy: Path) -> Path:
    """A copy of the workbook whose error cells all hold #N/A, for a reader that refuses
    errors it does not know; their real texts come from ``error_cells`` of the original."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(copy, "w") as target:
        sheets = set(_sheet_members(source).values())
        for item in source.infolist():
            data = source.read(item)
            if item.filename in sheets:
                data = _ERROR_CELL_WITH_VALUE.sub(_known_error, data)
            target.writestr(item, data)
    shutil.copystat(path, copy)
    return copy


def _known_error(match: re.Match) -> bytes:
    """The error cell with its value element rebuilt as ``<v>#N/A</v>``, whatever it held
    (an empty value too)."""
    inner = _VALUE_ELEMENT.sub(rb"\1" + KNOWN_ERROR + rb"\2", match.group(2))
    return match.group(1) + inner + match.group(3)


def _attributes(tag: bytes) -> dict[str, str]:
    """A start tag's attributes by local name (``r:id`` as ``id``), unescaped."""
    return {key.split(b":")[-1].decode(): html.unescape((a or b).decode("utf-8", "replace"))
            for key, a, b in _ATTRIBUTE.findall(tag)}


def _sheet_members(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each sheet's trimmed lower-case name -> its XML part, through the workbook's
    relationships (a sheet's part need not be named after it)."""
    targets = {}
    for tag in _RELATION.findall(archive.read("xl/_rels/workbook.xml.rels")):
        attrs = _attributes(tag)
        target = attrs.get("Target", "")
        targets[attrs.get("Id")] = (target.lstrip("/") if target.startswith("/")
                                    else posixpath.normpath(posixpath.join("xl", target)))
    members = {}
    for tag in _SHEET.findall(archive.read("xl/workbook.xml")):
        attrs = _attributes(tag)
        if attrs.get("id") in targets:
            members[attrs.get("name", "").strip().lower()] = targets[attrs["id"]]
    return members


def _sheet_errors(xml: bytes) -> dict[tuple[int, int], CellError]:
    # An error cell's type is "e" in quotes: without those bytes anywhere (nearly every
    # workbook) the sheet has none, found at memory speed (the scan takes ~3 s for a sheet of
    # a million rows, the quick test ~0.2 s).
    if b'"e"' not in xml and b"'e'" not in xml:
        return {}
    cells = {}
    for match in _ERROR_CELL.finditer(xml):
        reference = _CELL_REFERENCE.search(match.group(1))
        if reference is None:  # placed by its order in the sheet: read every row and cell
            return _sheet_errors_in_order(xml)
        cells[(int(reference.group(2)) - 1, _column(reference.group(1)))] = \
            _error_text(xml, match)
    return cells


def _sheet_errors_in_order(xml: bytes) -> dict[tuple[int, int], CellError]:
    """The same, for a sheet whose rows or cells may omit their reference."""
    return {place: _error_text(xml, match) for match, place in _placed_cells(xml)
            if _TYPE_ERROR.search(match.group(2))}


def _placed_cells(xml: bytes) -> Iterator[tuple[re.Match, tuple[int, int]]]:
    """Every cell's start tag and its (row, column), where a row or cell that omits its
    reference follows the one before it (the reader places them so too)."""
    row, column = -1, -1
    for match in _ROW_OR_CELL.finditer(xml):
        tag, attributes = match.group(1), match.group(2)
        if tag == b"row":
            reference = _ROW_REFERENCE.search(attributes)
            row, column = (int(reference.group(1)) - 1 if reference else row + 1), -1
            continue
        reference = _CELL_REFERENCE.search(attributes)
        if reference:
            row, column = int(reference.group(2)) - 1, _column(reference.group(1))
        else:
            column += 1
        yield match, (row, column)


def _column(letters: bytes) -> int:
    number = 0
    for letter in letters.decode().upper():
        number = number * 26 + (ord(letter) - ord("A") + 1)
    return number - 1


def _error_text(xml: bytes, match: re.Match) -> CellError:
    """The cell's value (``<v>#REF!</v>``), or UNNAMED_ERROR when it holds none."""
    if match.group(match.lastindex).rstrip().endswith(b"/"):  # <c ... t="e"/>
        return CellError(UNNAMED_ERROR)
    end = _CELL_END.search(xml, match.end())
    value = _VALUE.search(xml, match.end(), end.start() if end else len(xml))
    if value and value.group(1).strip():
        return CellError(html.unescape(value.group(1).decode("utf-8", "replace")).strip())
    return CellError(UNNAMED_ERROR)


def uncalculated_cells(path: Path, sheets: set[str]) -> dict[str, dict[tuple[int, int], str]]:
    """For each wanted sheet, its formula cells that hold no stored result, as
    ``{(row, column): formula}`` (0-based, as ``error_cells``). pandas and openpyxl write
    formulas (and any text that starts with "=") without computing them; the reader then
    gives an empty cell, so a row of them vanished as blank and a value read as missing."""
    found: dict[str, dict[tuple[int, int], str]] = {}
    with zipfile.ZipFile(path) as archive:
        members = set(archive.namelist())
        stale = bool(_FULL_CALC_ON_LOAD.search(archive.read("xl/workbook.xml")))
        for name, member in _sheet_members(archive).items():
            if name in sheets and member in members:
                cells = _sheet_uncalculated(archive.read(member), stale)
                if cells:
                    found[name] = cells
    return found


def _sheet_uncalculated(xml: bytes, stale: bool = False) -> dict[tuple[int, int], str]:
    """``stale``: the workbook asks for its formulas to be recomputed on opening, so a
    stored 0 is taken for xlsxwriter's placeholder, not a result."""
    # Most sheets hold no formula at all (found at memory speed, as for error cells), and
    # in the others nearly every formula has its result: only cells with a formula are read.
    if b"<f" not in xml and b":f" not in xml:
        return {}
    found = {}  # cell start -> formula
    for formula in _FORMULA.finditer(xml):
        if _RESULT_FOLLOWS.match(xml, formula.end()) and not (  # <f>..</f><v>45001</v>
                stale and _PLACEHOLDER_FOLLOWS.match(xml, formula.end())):
            continue
        start = _cell_start(xml, formula.start())
        text = _uncalculated_formula(xml, start, stale) if start is not None else None
        if text is not None:
            found[start] = text
    cells = {}
    for start, text in found.items():
        reference = _CELL_REFERENCE.search(_CELL_WITH_BODY.match(xml, start).group(1))
        if reference is None:  # placed by its order in the sheet: read every row and cell
            return _uncalculated_in_order(xml, found)
        cells[(int(reference.group(2)) - 1, _column(reference.group(1)))] = text
    return cells


def _cell_start(xml: bytes, position: int) -> int | None:
    """Where the cell holding the element at ``position`` starts: the nearest cell start tag
    before it (a formula is a cell's first child; a stray one outside cells has none)."""
    start = xml.rfind(b"<", 0, position)
    while start >= 0:
        tag = _ROW_OR_CELL.match(xml, start)
        if tag is not None:
            return start if tag.group(1) == b"c" else None
        if xml.startswith(b"</", start):  # the end of an element: not inside a cell
            return None
        start = xml.rfind(b"<", 0, start)
    return None


def _uncalculated_in_order(xml: bytes, found: dict[int, str]) -> dict[tuple[int, int], str]:
    """``found``'s cells (by where they start) placed as _placed_cells places them."""
    return {place: found[match.start()] for match, place in _placed_cells(xml)
            if match.start() in found}


def _uncalculated_formula(xml: bytes, start: int, stale: bool = False) -> str | None:
    """The formula of the cell starting at ``start`` ("=" and its text) when it has no
    stored result (or, ``stale``, only a placeholder 0), else None."""
    cell = _CELL_WITH_BODY.match(xml, start)
    body = cell.group(2) if cell else None
    formula = _FORMULA.search(body) if body else None
    if formula is None:
        return None
    value = _VALUE.search(body)
    kind = _TYPE.search(cell.group(1))
    stored = value is not None and (value.group(1) or (kind and kind.group(1) in _TEXT_TYPES))
    # Under the stale flag, a number 0 is xlsxwriter's placeholder, not a result (Apache
    # POI and others set the flag too, beside real results, which are taken).
    placeholder = (stale and value is not None and value.group(1).strip() == b"0"
                   and (kind is None or kind.group(1) == b"n"))
    if (stored or _INLINE_TEXT.search(body) is not None) and not placeholder:
        return None
    text = html.unescape((formula.group(1) or b"").decode("utf-8", "replace")).strip()
    return "=" + text if text else SHARED_FORMULA
