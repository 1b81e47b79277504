"""nbgrader preprocessors the course adds to stock commands (configured in ``nbgrader_config.py``).

``HideHiddenTests`` (``nbgrader generate_feedback``): stock feedback renders the autograded notebook,
whose grade cells hold the hidden tests verbatim, and whose tracebacks quote the hidden line that
failed. This preprocessor removes the ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` region
from every cell's source and removes any hidden line from the cell's tracebacks, so the student reads
that a hidden test failed (the exception and its message) but never its code.
"""

from __future__ import annotations

import re

from nbgrader.preprocessors import ClearHiddenTests

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# IPython's context lines: "----> 4 code", "      3 code", "File ..., line 4, in f" stays
_CONTEXT = re.compile(r"^\s*(?:-*>)?\s*\d+\s?(?P<code>.*)$")
NOTE = "(lines of hidden tests are not shown in feedback)"


class HideHiddenTests(ClearHiddenTests):
    """ClearHiddenTests for feedback: the hidden region leaves the source *and* the tracebacks."""

    def _split(self, source: str) -> tuple[str, set[str]]:
        """(the source without its hidden regions, the hidden lines). Unlike ClearHiddenTests this
        never raises: an unclosed region (a student can type the marker) hides the rest of the cell."""
        kept, hidden, inside = [], set(), False
        for line in source.split("\n"):
            if self.begin_test_delimeter in line:
                inside = True
            elif self.end_test_delimeter in line:
                inside = False
            elif inside:
                if line.strip():
                    hidden.add(line.strip())
            else:
                kept.append(line)
        return "\n".join(kept), hidden

    def _scrub(self, text: str, hidden: set[str]) -> tuple[str, bool]:
        kept, dropped = [], False
        for line in text.split("\n"):
            plain = _ANSI.sub("", line)
            m = _CONTEXT.match(plain)
            code = (m.group("code") if m else plain).strip()
            if code and (code in hidden or self.begin_test_delimeter in plain
                         or self.end_test_delimeter in plain or any(h in plain for h in hidden if len(h) >= 12)):
                dropped = True
                continue
            kept.append(line)
        return "\n".join(kept), dropped

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code" or self.begin_test_delimeter not in cell.source:
            return cell, resources
        cell.source, hidden = self._split(cell.source)
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            scrubbed, any_dropped = [], False
            for entry in output.get("traceback", []):
                text, dropped = self._scrub(entry, hidden)
                any_dropped |= dropped
                scrubbed.append(text)
            if any_dropped:
                scrubbed.insert(-1 if len(scrubbed) > 1 else len(scrubbed), NOTE)
            output["traceback"] = scrubbed
            text, dropped = self._scrub(output.get("evalue", ""), hidden)
            output["evalue"] = text
        return cell, resources
