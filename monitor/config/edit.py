"""Adding and removing a [[source]] in a configuration file's text (`tidings add`, `tidings remove`).

A person wrote the file: every comment, blank line, key order and quoting
outside the block added or removed stays byte for byte.  The new block is
rendered by tomlkit (a TOML library that writes any string value correctly
quoted); the edit itself is a splice of lines, because tomlkit moves the
tables of an array (`[[source]]`) together when other tables sit between
them (tomlkit reorders such files even when nothing is changed), and
people do interleave `[[source]]` and `[[notify]]`.

Where a table starts is found without guessing at the syntax: a line that
looks like a table header is one only if the text before it is complete
TOML (not inside a multi-line string or array).  Pure functions over text;
the CLI reads and writes the file (monitor.cli.editing).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass

_HEADER = re.compile(r"^[ \t]*\[")
_SOURCE_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*source[ \t]*\]\][ \t]*(#.*)?$")


class EditError(ValueError):
    """The edit cannot be made (no such source); the text is left as it was."""


@dataclass(frozen=True)
class SourceBlock:
    """Where one [[source]] table sits, in lines of the file.

    Removing lines [start, end) takes the table, the comment lines right
    above its header (they describe it), and the blank lines above those, so
    the blank lines below it go on separating what was before from what follows.
    """

    name: str | None
    start: int
    header: int
    end: int  # one past its last key, or the comment lines right below that key


def source_block(table: dict) -> str:
    """A [[source]] block for `table` (key order kept), rendered by tomlkit."""
    import tomlkit  # here: only `tidings add` needs it

    body = tomlkit.table()
    for key, value in table.items():
        body.add(key, value)
    document = tomlkit.document()
    array = tomlkit.aot()
    array.append(body)
    document.append("source", array)
    return tomlkit.dumps(document)


def add_source(text: str, table: dict) -> str:
    """`text` with a [[source]] block for `table` after the last source (else at the end)."""
    lines = text.splitlines(keepends=True)
    newline = _newline(lines)
    block = source_block(table).replace("\n", newline)
    blocks = source_blocks(text)
    if not blocks:
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += newline
        separator = [newline] if lines and lines[-1].strip() else []
        return "".join(lines + separator) + block
    at = blocks[-1].end
    if not lines[at - 1].endswith(("\n", "\r")):
        lines[at - 1] += newline
    return "".join(lines[:at]) + newline + block + "".join(lines[at:])


def remove_source(text: str, name: str) -> str:
    """`text` without the [[source]] block named `name`; raises EditError if there is none."""
    lines = text.splitlines(keepends=True)
    for block in source_blocks(text):
        if block.name == name:
            return "".join(lines[: block.start] + lines[block.end :])
    raise EditError(f"no source named {name!r}")


def source_blocks(text: str) -> list[SourceBlock]:
    """Every [[source]] table of a valid TOML text, in file order."""
    lines = text.splitlines(keepends=True)
    headers = _table_headers(lines)
    blocks = []
    for index, header in enumerate(headers):
        if not _SOURCE_HEADER.match(lines[header].rstrip("\r\n")):
            continue
        following = headers[index + 1] if index + 1 < len(headers) else len(lines)
        start = header
        while start > 0 and _is_comment(lines[start - 1]):
            start -= 1
        while start > 0 and not lines[start - 1].strip():
            start -= 1
        end = header + 1
        for number in range(header + 1, following):
            if lines[number].strip() and not _is_comment(lines[number]):
                end = number + 1
        while end < following and _is_comment(lines[end]):
            end += 1  # a comment right below the last key is the table's
        blocks.append(SourceBlock(_name(lines[header:end]), start, header, end))
    return blocks


def _table_headers(lines: list[str]) -> list[int]:
    """Line numbers of the table headers (`[x]`, `[[x]]`) outside any multi-line value."""
    headers = []
    for number, line in enumerate(lines):
        if _HEADER.match(line) and _complete("".join(lines[:number])):
            headers.append(number)
    return headers


def _complete(text: str) -> bool:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return False
    return True


def _name(lines: list[str]) -> str | None:
    try:
        table = tomllib.loads("".join(lines))
    except tomllib.TOMLDecodeError:
        return None
    sources = table.get("source") or [{}]
    name = sources[0].get("name")
    return name if isinstance(name, str) else None


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _newline(lines: list[str]) -> str:
    """The file's line ending (CRLF files stay CRLF)."""
    return "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
