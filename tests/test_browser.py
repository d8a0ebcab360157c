"""JupyterLab in a real browser: headless Chromium (Debian's package) driven by Python playwright.

The test starts JupyterLab on 127.0.0.1 with a token, over copies of the notebooks in a temporary folder (so
autosave never writes outputs into the repository), runs notebooks the way a student does (Run → Run All
Cells) in smoke mode, and stops the server. A failing test leaves a screenshot in ``runs/browser-failures/``.

Without Chromium (``apt-get install chromium``; ``.ci/run`` installs it) or playwright the tests are skipped
with a line that says so; they never pass without a browser.
"""
from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from modgap.paths import REPO_ROOT

CHROMIUM = os.environ.get("MODGAP_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
FAILURES = REPO_ROOT / "runs" / "browser-failures"
RUN_ALL_TIMEOUT_MS = 600_000

if CHROMIUM is None:
    pytest.skip("browser tests need Chromium: apt-get install chromium (bash .ci/run installs it)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need playwright: pip install -r requirements.txt")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server over a copy of the notebooks, in smoke mode; yields ``(base_url, token, root)``."""
    root = tmp_path_factory.mktemp("lab")
    for nb in ("00_quickstart.ipynb", "04_occlusion.ipynb", "09_real_models.ipynb"):
        shutil.copy(REPO_ROOT / "notebooks" / nb, root / nb)
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "MODGAP_SMOKE": "1", "MPLBACKEND": "module://matplotlib_inline.backend_inline",
           "JUPYTERLAB_WORKSPACES_DIR": str(root / ".workspaces"), "JUPYTER_CONFIG_DIR": str(root / ".jupyter")}
    log = open(root / "lab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--ServerApp.open_browser=False",
         "--ServerApp.allow_root=True",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2).read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not start; its log:\n{(root / 'lab.log').read_text()[-3000:]}") from None
                time.sleep(0.5)
        yield base, token, root
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        FAILURES.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(FAILURES / f"{request.node.name}.png"), full_page=True)
    ctx.close()


def open_notebook(page, lab, name: str):
    base, token, _ = lab
    # a workspace of its own, reset: only this notebook is open (JupyterLab otherwise reopens earlier tabs)
    page.goto(f"{base}/lab/workspaces/{secrets.token_hex(4)}/tree/{name}?token={token}&reset")
    page.locator(".jp-Notebook").first.wait_for(timeout=60_000)
    kernel = page.locator(".jp-Toolbar-kernelName").first
    kernel.wait_for(timeout=60_000)
    page.wait_for_function("document.querySelector('.jp-Toolbar-kernelName')?.textContent.includes('modgap')",
                           timeout=60_000)
    idle = "document.querySelector('.jp-Notebook-ExecutionIndicator')?.getAttribute('data-status') === 'idle'"
    page.wait_for_function(idle, timeout=60_000)
    return kernel.text_content()


def run_all(page, stop_on_error: bool = False):
    """Run → Run All Cells, then wait until no cell is queued or running (after an error JupyterLab leaves the
    cells below it unrun: ``stop_on_error`` waits for the error instead)."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    page.wait_for_function("document.querySelectorAll('.jp-InputPrompt').length > 0 && "
                           "[...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].some(p => p.textContent.includes('['))",
                           timeout=60_000)
    if stop_on_error:
        page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").first.wait_for(timeout=60_000)
        return
    page.wait_for_function(
        "(() => { const code = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];"
        " return code.length > 0 && code.every(p => /\\[\\d+\\]/.test(p.textContent)); })()",
        timeout=RUN_ALL_TIMEOUT_MS)


def error_outputs(page) -> list[str]:
    """Text of every error output (a traceback) in the open notebook."""
    return page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").filter(
        has_text="Traceback").all_text_contents()


def test_an_error_in_a_cell_is_seen(lab, page):
    """The check the other tests rely on: a cell that raises shows up as an error output."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1"), nbformat.v4.new_code_cell("raise ValueError('on purpose')")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (modgap)", "language": "python"}
    nbformat.write(nb, lab[2] / "broken.ipynb")
    open_notebook(page, lab, "broken.ipynb")
    run_all(page, stop_on_error=True)
    assert any("on purpose" in e for e in error_outputs(page))


def test_jupyterlab_opens_the_quickstart_with_the_projects_kernel_and_runs_it_without_an_error(lab, page):
    assert "Python 3 (modgap)" in open_notebook(page, lab, "00_quickstart.ipynb")
    run_all(page)
    assert error_outputs(page) == []
    assert page.locator(".jp-OutputArea-output img").count() >= 1  # its figures were drawn


def test_occlusion_notebook_runs_and_its_explorer_is_a_live_widget(lab, page):
    open_notebook(page, lab, "04_occlusion.ipynb")
    run_all(page)
    assert error_outputs(page) == []
    assert page.get_by_text("Error displaying widget").count() == 0
    explorer = page.locator(".jp-OutputArea-output .widget-vbox").filter(has=page.locator(".widget-dropdown")).first
    explorer.scroll_into_view_if_needed()
    figure = explorer.locator(".widget-output img").first
    figure.wait_for(timeout=60_000)
    before_png, before_src = explorer.screenshot(), figure.get_attribute("src")
    column = explorer.locator(".widget-slider").filter(has_text="column").locator(".noUi-handle").first
    column.focus()
    for _ in range(6):  # move the occluder sideways: 6 steps of 0.05 of the free width
        column.press("ArrowRight")
    page.wait_for_function("(src) => { const i = document.querySelector('.widget-vbox .widget-output img');"
                           " return i && i.getAttribute('src') !== src; }", arg=before_src, timeout=60_000)
    after_png = explorer.screenshot()
    assert after_png != before_png  # the figure changed on screen
    assert "ranked" in explorer.locator(".widget-html").first.text_content()


def test_real_models_notebook_has_a_live_gap_explorer(lab, page):
    """09's explorer: moving the strength slider redraws the PCA picture and updates the gap, R@1 and the
    mixed-index numbers together."""
    open_notebook(page, lab, "09_real_models.ipynb")
    run_all(page)
    assert error_outputs(page) == []
    explorer = page.locator(".jp-OutputArea-output .widget-vbox").filter(has_text="strength").first
    explorer.scroll_into_view_if_needed()
    figure = explorer.locator(".widget-output img").first
    figure.wait_for(timeout=60_000)
    before_src, before_text = figure.get_attribute("src"), explorer.locator(".widget-html").first.text_content()
    handle = explorer.locator(".widget-slider").filter(has_text="strength").locator(".noUi-handle").first
    handle.focus()
    for _ in range(10):  # half-way: 10 steps of 0.05
        handle.press("ArrowRight")
    page.wait_for_function("(t) => [...document.querySelectorAll('.widget-vbox .widget-html')]"
                           ".some(h => h.textContent.includes('mixed nDCG@10') && h.textContent !== t)",
                           arg=before_text, timeout=60_000)
    after_text = explorer.locator(".widget-html").first.text_content()
    assert after_text != before_text and "gap" in after_text and "(+0.0 points); R@1 y→x" not in after_text
    assert figure.get_attribute("src") != before_src  # the picture was redrawn too
