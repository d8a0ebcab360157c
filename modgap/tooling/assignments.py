"""Course assignments with nbgrader: one exercise per part of the collection, in ``exercises/``.

Each exercise notebook carries nbgrader's cell metadata: a *solution* cell whose answer lies between
``### BEGIN SOLUTION`` and ``### END SOLUTION``, and *graded* test cells (locked, with points) that call
``modgap.tooling.exercise_checks`` — checks that test hand-derivable cases and name what is wrong, and import no
reference solution. nbgrader itself does the rest:

    python -m modgap.tooling.assignments [--course assignments]      (make assignments)

writes an nbgrader course folder (``nbgrader_config.py``, ``source/modgap/`` = the exercises with their solutions)
and runs ``nbgrader generate_assignment modgap``, which writes the student versions to ``release/modgap/``.
An instructor then collects submissions into ``submitted/<student>/modgap/`` and runs ``nbgrader autograde
modgap`` and ``nbgrader generate_feedback modgap`` in that folder (``autograde`` below does both).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from modgap.paths import REPO_ROOT

ASSIGNMENT = "modgap"
EXERCISES_DIR = REPO_ROOT / "exercises"
CONFIG = '''# nbgrader course folder for the modgap exercises (written by python -m modgap.tooling.assignments)
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "modgap"
c.CourseDirectory.root = r"{root}"
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
c.ExecutePreprocessor.timeout = 300
'''


def exercises() -> list[Path]:
    """The exercise notebooks, in order."""
    return sorted(EXERCISES_DIR.glob("[0-9][0-9]_*.ipynb"))


def nbgrader(root: Path, *args: str) -> subprocess.CompletedProcess:
    """Run ``nbgrader <args>`` in the course folder ``root``; an error names the command and shows nbgrader's log."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}  # its alembic
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed in {root} (exit {proc.returncode}):\n"
                           f"{(proc.stdout + proc.stderr)[-4000:]}")
    return proc


def build_course(root: str | Path = REPO_ROOT / "assignments") -> Path:
    """Write the course folder ``root`` and generate the student versions; returns ``root/release/modgap``."""
    root = Path(root).resolve()
    source = root / "source" / ASSIGNMENT
    source.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(CONFIG.format(root=root))
    for nb in exercises():
        shutil.copy(nb, source / nb.name)
    nbgrader(root, "generate_assignment", ASSIGNMENT, "--force")
    return root / "release" / ASSIGNMENT


#: where nbgrader's feedback template loads MathJax from (a CDN, hard-wired in the template's ``mathjax()`` call)
CDN_MATHJAX = re.compile(r'<script src="https://cdnjs\.cloudflare\.com/ajax/libs/mathjax/[^"]*">')


def offline_mathjax(feedback: str | Path) -> int:
    """Make every feedback page under ``feedback`` (``<student>/<assignment>/*.html``) typeset its equations offline:
    copy the MathJax of the ``jupyter-server-mathjax`` wheel to ``feedback/mathjax/`` and point each page's script
    there instead of the CDN. Returns the number of pages rewritten."""
    from modgap.tooling.book import mathjax_dir

    feedback = Path(feedback)
    target = feedback / "mathjax"
    if not (target / "MathJax.js").exists():
        shutil.copytree(mathjax_dir(), target, dirs_exist_ok=True)
    changed = 0
    for page in feedback.glob("*/*/*.html"):
        html = page.read_text()
        local = f'<script src="{os.path.relpath(target, page.parent)}/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full">'
        new = CDN_MATHJAX.sub(local, html)
        if new != html:
            page.write_text(new)
            changed += 1
    return changed


def autograde(root: str | Path, feedback: bool = True) -> dict[tuple[str, str], tuple[float, float]]:
    """Autograde every submission in ``root/submitted/<student>/modgap/`` (and write feedback); returns
    ``{(student, notebook): (score, max_score)}`` from nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    root = Path(root).resolve()
    nbgrader(root, "autograde", ASSIGNMENT, "--force")
    if feedback:
        nbgrader(root, "generate_feedback", ASSIGNMENT, "--force")
        offline_mathjax(root / "feedback")
    scores = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for sub in gb.assignment_submissions(ASSIGNMENT):
            for nb in sub.notebooks:
                scores[(sub.student.id, nb.name)] = (float(nb.score), float(nb.max_score))
    return scores


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m modgap.tooling.assignments", description=__doc__.split("\n\n")[0])
    ap.add_argument("--course", default=str(REPO_ROOT / "assignments"), help="the nbgrader course folder to write")
    ap.add_argument("--grade", action="store_true",
                    help="autograde the submissions in COURSE/submitted/ and write their feedback (equations offline)")
    args = ap.parse_args(argv)
    if args.grade:
        if not (Path(args.course) / "submitted").is_dir():
            print(f"[assignments] nothing to grade: no submitted/ folder in {args.course}", file=sys.stderr)
            return 1
        for (student, nb), (score, top) in sorted(autograde(args.course).items()):
            print(f"[assignments] {student} {nb}: {score:g} / {top:g}")
        print(f"[assignments] feedback in {Path(args.course) / 'feedback'}")
        return 0
    if not exercises():
        print(f"[assignments] no exercise notebooks in {EXERCISES_DIR}", file=sys.stderr)
        return 1
    release = build_course(args.course)
    for p in sorted(release.glob("*.ipynb")):
        print(f"[assignments] {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
