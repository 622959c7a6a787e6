"""The error cells of a workbook's sheets (#N/A, #REF!, #VALUE!, ...), read from its XML.

The cell reader (calamine) hands an error cell over as an empty string, so a row made only
of error cells (formulas whose source sheet was deleted) looked blank and was skipped, and
an error in an id, date or name read as a missing value with no trace of the error in the
audit. The errors are found here instead, by their cell type in the sheet's XML (``t="e"``),
so the loader can keep each one's text as the raw value that staging then judges.
"""

from __future__ import annotations

import html
import posixpath
import re
import zipfile
from pathlib import Path

# One error cell: its start tag (any attribute order, any namespace prefix) ...
_ERROR_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?\bt\s*=\s*[\"']e[\"'][^>]*)>")
_CELL_END = re.compile(rb"</(?:\w+:)?c>")
_VALUE = re.compile(rb"<(?:\w+:)?v\b[^>]*>([^<]*)</(?:\w+:)?v>")
_REFERENCE = re.compile(rb"\br\s*=\s*[\"']([A-Za-z]+)([0-9]+)[\"']")
_SHEET = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)>")
_ATTRIBUTE = re.compile(rb"([\w:]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_RELATION = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)>")

UNNAMED_ERROR = "#ERROR!"  # an error cell that holds no text of its own (not written by Excel)


class UnplacedErrorCell(ValueError):
    """An error cell without a cell reference: its row and column cannot be told."""


def error_cells(path: Path, sheets: set[str]) -> dict[str, dict[tuple[int, int], str]]:
    """For each wanted sheet (lower-case, trimmed name), its error cells as
    ``{(row, column): text}``, both 0-based as in the reader's grid (A1 is (0, 0)). A sheet
    without error cells is left out."""
    found: dict[str, dict[tuple[int, int], str]] = {}
    with zipfile.ZipFile(path) as archive:
        for name, member in _sheet_members(archive).items():
            if name in sheets and member in archive.namelist():
                cells = _sheet_errors(archive.read(member), name)
                if cells:
                    found[name] = cells
    return found


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


def _sheet_errors(xml: bytes, sheet: str) -> dict[tuple[int, int], str]:
    # An error cell's type is "e" in quotes: without those bytes anywhere (nearly every
    # workbook) the sheet has none, found at memory speed (the scan takes ~3 s for a sheet of
    # a million rows, the quick test ~0.05 s).
    if b'"e"' not in xml and b"'e'" not in xml:
        return {}
    cells = {}
    for match in _ERROR_CELL.finditer(xml):
        reference = _REFERENCE.search(match.group(1))
        if reference is None:
            raise UnplacedErrorCell(
                f"sheet '{sheet}' holds an error cell without a cell reference")
        letters, row = reference.group(1).decode().upper(), int(reference.group(2))
        column = 0
        for letter in letters:
            column = column * 26 + (ord(letter) - ord("A") + 1)
        text = UNNAMED_ERROR
        if not match.group(1).rstrip().endswith(b"/"):  # <c ... t="e"/> holds nothing
            end = _CELL_END.search(xml, match.end())
            value = _VALUE.search(xml, match.end(), end.start() if end else len(xml))
            if value and value.group(1).strip():
                text = html.unescape(value.group(1).decode("utf-8", "replace")).strip()
        cells[(row - 1, column - 1)] = text
    return cells
