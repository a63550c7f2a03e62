"""notebooks/quickstart.ipynb runs top to bottom on the bundled model and samples, so it cannot rot."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "quickstart.ipynb"


def test_quickstart_notebook_runs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    pictures = [o for o in outputs if "image/png" in o.get("data", {})]
    charts = [o for o in outputs if "<svg" in o.get("data", {}).get("text/html", "")]
    assert pictures and len(charts) == 2  # the overlay, the two dental charts
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "mean per-tooth Dice" in printed and "report.html" in printed
