"""Run one notebook exported by ``benchmarks/gpu/prepare.py`` as a script and print its wall time.

    NB_DEVICE=cuda python3 benchmarks/gpu/run_notebook.py 05_closing_the_gap    # MODGAP_SMOKE=1 for the tiny run

``display`` prints, as there is no notebook to show it in.
"""
import builtins
import os
import runpy
import sys
import time

if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())
    builtins.display = print
    name = sys.argv[1]
    t = time.perf_counter()
    runpy.run_path(f".gpu/{name}_run.py", run_name="notebook")
    print(f"NOTEBOOK_SECONDS {name} device={os.environ.get('NB_DEVICE')} smoke={os.environ.get('MODGAP_SMOKE')} "
          f"{time.perf_counter() - t:.1f}")
