"""Student versions of the notebooks, generated — never edited by hand.

In the solution notebooks, code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (nbgrader's
markers, so instructors can also use nbgrader) is replaced by ``# YOUR CODE HERE`` and
``raise NotImplementedError()`` at the same indentation; outputs are cleared. Each exercise is followed
by a check cell that calls :mod:`modgap.tooling.checks`.

    python -m modgap.tooling.assignments [--out assignments]      (make assignments)
"""
from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat

from modgap.paths import REPO_ROOT

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
_BLOCK = re.compile(r"^([ \t]*)" + re.escape(BEGIN) + r"[^\n]*\n.*?^[ \t]*" + re.escape(END) + r"[^\n]*$",
                    re.MULTILINE | re.DOTALL)


def strip_solutions(source: str) -> str:
    """Replace every solution block of a cell's source by a stub (code) at the block's indentation."""
    if source.count(BEGIN) != source.count(END):
        raise ValueError(f"unbalanced solution markers in cell:\n{source[:200]}")
    return _BLOCK.sub(lambda m: f"{m.group(1)}# YOUR CODE HERE\n{m.group(1)}raise NotImplementedError()", source)


def has_solution(cell) -> bool:
    return BEGIN in cell.get("source", "")


def make_student(nb):
    """A student copy of notebook ``nb``: solutions stubbed, all outputs cleared."""
    student = copy.deepcopy(nb)
    for cell in student.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if has_solution(cell):
                cell.source = strip_solutions(cell.source)
        elif has_solution(cell):
            cell.source = _BLOCK.sub("YOUR ANSWER HERE", cell.source)
    return student


def exercise_code(nb) -> list[str]:
    """Source of each exercise: the cell with a solution block plus the check cell after it."""
    out, cells = [], nb.cells
    for i, cell in enumerate(cells):
        if cell.cell_type == "code" and (has_solution(cell) or "YOUR CODE HERE" in cell.source):
            check = cells[i + 1].source if i + 1 < len(cells) and "checks." in cells[i + 1].source else ""
            if not check:
                raise ValueError(f"exercise cell {i} is not followed by a check cell calling modgap.tooling.checks")
            out.append(cell.source + "\n" + check)
    return out


def generate(out_dir: str | Path = REPO_ROOT / "assignments", notebooks: list[Path] | None = None) -> list[Path]:
    from modgap.io import atomic_write
    from modgap.tooling.runner import numbered_notebooks

    out_dir = Path(out_dir)
    written = []
    for path in notebooks or numbered_notebooks():
        nb = nbformat.read(path, as_version=4)
        if not any(has_solution(c) for c in nb.cells):
            continue
        student = make_student(nb)
        target = out_dir / path.name
        atomic_write(target, lambda fh: nbformat.write(student, fh))
        written.append(target)
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m modgap.tooling.assignments", description="Generate student notebooks.")
    ap.add_argument("--out", default=str(REPO_ROOT / "assignments"))
    args = ap.parse_args(argv)
    written = generate(args.out)
    for p in written:
        print(f"[assignments] {p}")
    if not written:
        print("[assignments] no notebook has solution markers", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
