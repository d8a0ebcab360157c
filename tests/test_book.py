"""The book of a run (``make book``): built offline by Jupyter Book 1.x from the executed notebooks, with the
run's date, parameters and status on its first page, failed notebooks flagged, and equations typeset by a
MathJax served from the book itself. The browser part opens it in headless Chromium."""
import json
import shutil

import nbformat
import pytest
from conftest import write_notebook

from modgap.paths import REPO_ROOT
from modgap.tooling.book import build_book, last_run_is_smoke
from modgap.tooling.runner import NotebookFailed, run_notebook

PARAMS = "x = 1\noutput_dir = 'runs/t'"
BODY = ("import matplotlib.pyplot as plt\nplt.plot([0, x], [0, 1])\nplt.title('a figure')\nplt.show()")
MATH = "The gap is $\\lVert \\mu_x - \\mu_y \\rVert$, and\n\n$$\\mathcal{L} = \\log \\sum_{i \\neq j} e^{-2 d_{ij}^2}$$"


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    root = tmp_path_factory.mktemp("bookrun")
    runs = root / "runs"
    mp = pytest.MonkeyPatch()
    mp.setenv("MODGAP_SMOKE", "1")
    ok = write_notebook(root / "00_ok.ipynb", PARAMS, BODY)
    nb = nbformat.read(ok, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("# 00 · A chapter with math\n\n" + MATH))
    nbformat.write(nb, ok)
    run_notebook(ok, runs / "00_ok", {"x": 2})
    (runs / "00_ok-smoke" / "run.json").write_text(json.dumps({"parameters": {"x": 2}, "seconds": 1.5,
                                                               "date": "2026-11-24T10:00:00+00:00"}))
    bad = write_notebook(root / "01_bad.ipynb", PARAMS, "raise ValueError('broken on purpose')")
    with pytest.raises(NotebookFailed):
        run_notebook(bad, runs / "01_bad", {})
    widget = write_notebook(root / "03_widget.ipynb", PARAMS, "import ipywidgets as W\nW.IntSlider(value=x)")
    run_notebook(widget, runs / "03_widget", {"x": 3})
    assert "widgets" in nbformat.read(runs / "03_widget-smoke" / "03_widget.ipynb", as_version=4).metadata  # saved state
    # a ledger as wide as 07's: every claim of the committed reference, displayed as 07 displays it
    ledger = root / "04_ledger.ipynb"
    write_notebook(ledger, PARAMS, "import pandas as pd\nfrom modgap.paths import REPO_ROOT\n"
                   "from modgap.tooling.ledger import with_verdicts\n"
                   "pd.set_option('display.max_colwidth', 120)\nt = with_verdicts(pd.read_csv(REPO_ROOT / 'results' / 'claims.csv'))\n"
                   "t['estimate'] = [f'{r.value:.3g} [{r.low:.3g}, {r.high:.3g}]' for r in t.itertuples()]\n"
                   "t[['id', 'claim', 'estimate', 'test', 'n_seeds', 'verdict', 'verdict_adjusted']].rename(columns={"
                   "'verdict': 'raw verdict', 'verdict_adjusted': 'Holm-adjusted'}).head(12)")
    run_notebook(ledger, runs / "04_ledger", {"x": 4})
    (runs / "07_claims-smoke").mkdir()
    shutil.copy(REPO_ROOT / "results" / "claims.csv", runs / "07_claims-smoke" / "ledger.csv")  # the first page's ledger
    index = build_book(runs, smoke=None, notebook_names=["00_ok", "01_bad", "02_never", "03_widget", "04_ledger"])
    mp.undo()
    return index




def test_the_book_lists_the_run_flags_failures_and_serves_mathjax_itself(book):
    html = book.parent
    index = (html / "intro.html").read_text()  # index.html redirects there
    assert "smoke run" in index and "2026-11-24" in index and "x=2" in index and "seed, seeds" in index
    assert "did not run" in index and "failed" in index
    chapter = (html / "notebooks" / "00_ok.html").read_text()
    assert "data:image/png" in chapter or "<img" in chapter  # the figure the run drew
    assert "../mathjax/MathJax.js" in chapter and "cdn" not in chapter.lower()
    assert (html / "mathjax" / "MathJax.js").exists()
    assert "This notebook failed in this run" in (html / "notebooks" / "01_bad.html").read_text()
    widget = (html / "notebooks" / "03_widget.html").read_text()
    assert "an interactive widget" in widget  # said where the widget was, and no widget manager fetched for it
    for page in [html / "intro.html", *(html / "notebooks").glob("*.html")]:
        text = page.read_text()
        assert "require.js" not in text and "html-manager" not in text and "cdn.jsdelivr" not in text, page.name


def test_the_last_run_decides_smoke_or_not(tmp_path):
    import os
    import time

    for name, t in (("03_a", 1), ("03_a-smoke", 2)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "03_a.ipynb").write_text("{}")
        os.utime(tmp_path / name / "03_a.ipynb", (time.time() - 100 + t, time.time() - 100 + t))
    assert last_run_is_smoke(tmp_path)
    with pytest.raises(FileNotFoundError, match="make run"):
        last_run_is_smoke(tmp_path / "03_a" / "nothing")


def test_the_book_in_a_browser_has_figures_typeset_equations_and_no_blank_page(book):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("the browser check of the book needs Chromium: apt-get install chromium (bash .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        outside = []
        page.on("request", lambda r: outside.append(r.url) if r.url.split(":")[0] not in ("file", "data", "blob", "about") else None)
        for url in (book, *sorted((book.parent / "notebooks").glob("*.html"))):  # every page of the book
            page.goto(url.as_uri())
            page.wait_for_load_state("load")
            assert len(page.locator("main").inner_text().strip()) > 100, f"{url.name} is blank"
            if url.name == "00_ok.html":
                page.wait_for_function("window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 && "
                                       "document.querySelectorAll('.MathJax, .MathJax_CHTML, .MathJax_Display').length >= 2",
                                       timeout=30_000)
                text = page.locator("main").inner_text()
                assert "$" not in text and "\\mathcal" not in text  # no raw TeX left on the page
                assert page.evaluate("[...document.querySelectorAll('main img')].some(i => i.complete && i.naturalWidth > 0)")
        browser.close()
    assert outside == []  # nothing fetched from the network, on any page


def test_the_ledgers_verdicts_and_the_runs_parameters_fit_a_1280_pixel_screen(book):
    """At 1280 px the Holm-adjusted verdict column (the first page's ledger, and a notebook's table as 07 shows it)
    and the first page's parameters column lie inside the window: nothing to scroll sideways for."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("the browser check of the book needs Chromium: apt-get install chromium (bash .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    right_edge = """name => Math.max(...[...document.querySelectorAll('main th')].filter(t => t.innerText.trim() === name)
                                   .map(t => t.getBoundingClientRect().right))"""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto((book.parent / "intro.html").as_uri())
        page.wait_for_load_state("load")
        assert 0 < page.evaluate(right_edge, "Holm-adjusted") <= 1280
        assert 0 < page.evaluate(right_edge, "parameters given") <= 1280
        page.goto((book.parent / "notebooks" / "04_ledger.html").as_uri())
        page.wait_for_load_state("load")
        assert 0 < page.evaluate(right_edge, "Holm-adjusted") <= 1280
        browser.close()


def test_the_first_page_says_when_09_audited_a_stand_in(tmp_path):
    import json

    from modgap.tooling.book import _stand_in_warning

    folder = tmp_path / "09_real_models-smoke"
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps({"rows": [], "source": "stand-in"}))
    assert "Notebook 09 audited a stand-in" in "\n".join(_stand_in_warning(tmp_path, "-smoke"))
    (folder / "results.json").write_text(json.dumps({"rows": [], "source": "real"}))
    assert _stand_in_warning(tmp_path, "-smoke") == [] and _stand_in_warning(tmp_path, "") == []
