"""CSV for people: a cell a spreadsheet would run as a formula is made inert on the way out (CSV injection).

The OWASP guidance (https://owasp.org/www-community/attacks/CSV_Injection): a cell that begins with `=`, `+`, `-`,
`@`, a tab or a carriage return is prefixed with a single quote and quoted, so the spreadsheet shows it as text
(`=HYPERLINK("http://evil","x")` and `+cmd|' /C calc'!A0` are inert). Embedded quotes are doubled as usual.

Plain numbers stay as they are: `-5`, `+3`, `-0.25`, `-1e3` (an optional sign, digits, one decimal point, an
exponent, nothing else). A spreadsheet reads such a cell as a number, never as a formula, since a formula needs what
a number cannot hold (a reference, a function, a second operand); and a rejects file is where people find and fix
bad values, so a negative quantity must read as the number it is, not as the text `'-5`. A cell longer than
NUMBER_LOOKAHEAD bytes is never taken for a number.

Only the copies people download pass through here: the objects in S3 (`reports/<job>/rejects.csv`) keep the exact
values for programs (README, HTTP API).

The file is neutralised as it streams (a rejects file can be gigabytes), CSV-aware: a comma or a line break inside a
quoted cell is no cell start, and a formula after a line break inside a quoted cell is no cell of its own. The input
is RFC 4180 CSV as Polars writes it (a quote only ever opens or closes a quoted cell or is doubled inside one), in
an encoding where the bytes `,"=+-@` and tab, CR, LF mean only themselves (UTF-8). The work is proportional to the
cells that begin with one of those characters: everything else is copied by regular-expression scans.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

NUMBER_LOOKAHEAD = 64
_PLAIN_NUMBER = re.compile(rb"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# A cell start (the start of the text, or after a comma or a line end) with a formula character, quoted or not.
# At the start of one chunk the previous chunk decides whether it is a cell start.
_CANDIDATE = re.compile(rb'(?<![^,\r\n])"?[=+\-@\t\r]')
_UNQUOTED_END = re.compile(rb"[,\r\n]")
_DELIMITERS = (b",", b"\r", b"\n")


def spreadsheet_safe(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The CSV `chunks` hold, with every formula cell quoted and prefixed with `'`, chunk by chunk."""
    neutraliser = _Neutraliser()
    for chunk in chunks:
        if out := neutraliser.feed(chunk):
            yield out
    if out := neutraliser.finish():
        yield out


class _Neutraliser:
    def __init__(self) -> None:
        self.carry = b""  # a cell start held back until enough of the cell has arrived to judge it
        self.in_quotes = False  # the parity of the quotes before `carry`
        self.at_cell_start = True  # the byte before `carry` ended a cell (or there was none)
        self.open_cell = False  # inside an unquoted formula cell whose opening quote went out; the closing is due

    def feed(self, chunk: bytes) -> bytes:
        return self._process(self.carry + chunk, final=False)

    def finish(self) -> bytes:
        return self._process(self.carry, final=True)

    def _process(self, data: bytes, *, final: bool) -> bytes:
        self.carry = b""
        out: list[bytes] = []
        pos = 0  # data[:pos] has been written to out
        if self.open_cell:
            end = _UNQUOTED_END.search(data)
            stop = end.start() if end else len(data)
            out.append(data[:stop].replace(b'"', b'""'))
            if end is None and not final:
                return b"".join(out)
            out.append(b'"')
            self.open_cell = False
            pos = stop
        counted = pos  # quotes in data[:counted] are in self.in_quotes
        scan = pos
        while (match := _CANDIDATE.search(data, scan)) is not None:
            start = match.start()
            scan = start + 1
            if start == 0 and not self.at_cell_start:
                continue
            self.in_quotes ^= data.count(b'"', counted, start) % 2 == 1
            counted = start
            if self.in_quotes:
                continue
            if data[start:start + 1] == b'"':  # a quoted cell: its text starts after the quote
                verdict = self._quoted_is_number(data, start, final)
                if verdict is None:
                    return self._hold(data, pos, start, out)
                if not verdict:
                    out.append(data[pos:start + 1])
                    out.append(b"'")
                    pos = start + 1
                continue
            if data[start:start + 1] == b"\r":  # unquoted, a carriage return ends a record
                continue
            end = _UNQUOTED_END.search(data, start)
            if end is None and not final:
                if len(data) - start <= NUMBER_LOOKAHEAD:
                    return self._hold(data, pos, start, out)
                # Longer than any number and not ended yet: open it now, close it in a later chunk.
                out.append(data[pos:start])
                out.append(b"\"'" + data[start:].replace(b'"', b'""'))
                self.open_cell = True
                self.at_cell_start = False
                return b"".join(out)
            stop = end.start() if end else len(data)
            if not _is_plain_number(data, start, stop):
                out.append(data[pos:start])
                out.append(b"\"'" + data[start:stop].replace(b'"', b'""') + b'"')
                pos = stop
            counted = scan = stop
        last = len(data) - 1
        if not final and last >= pos and data[last:] == b'"' and (
            data[last - 1:last] in _DELIMITERS if last else self.at_cell_start
        ):
            # A quote that opens a cell, its first character in the next chunk: judged with it.
            in_quotes = self.in_quotes ^ (data.count(b'"', counted, last) % 2 == 1)
            if not in_quotes:
                self.in_quotes = in_quotes
                return self._hold(data, pos, last, out)
        self.in_quotes ^= data.count(b'"', counted) % 2 == 1
        if data:
            self.at_cell_start = data[-1:] in _DELIMITERS
        out.append(data[pos:])
        return b"".join(out)

    def _quoted_is_number(self, data: bytes, start: int, final: bool) -> bool | None:
        """Whether the quoted cell at `start` holds a plain number; None when the bytes so far cannot tell."""
        close = data.find(b'"', start + 1, start + 2 + NUMBER_LOOKAHEAD)
        if close == -1:
            if final or len(data) - start > NUMBER_LOOKAHEAD + 1:
                return False
            return None
        if close + 1 == len(data) and not final:
            return None  # a doubled quote may follow
        if data[close + 1:close + 2] == b'"':
            return False
        return _is_plain_number(data, start + 1, close)

    def _hold(self, data: bytes, pos: int, start: int, out: list[bytes]) -> bytes:
        """Write everything before the cell at `start`; keep the cell for the next chunk."""
        out.append(data[pos:start])
        self.carry = data[start:]
        self.at_cell_start = True
        return b"".join(out)


def _is_plain_number(data: bytes, start: int, stop: int) -> bool:
    return stop - start <= NUMBER_LOOKAHEAD and _PLAIN_NUMBER.fullmatch(data, start, stop) is not None
