"""Execute the analysis notebooks and write one HTML report per notebook plus an index page.

Each notebook starts with a cell tagged ``parameters`` (papermill convention) whose defaults run on
the shipped data; :func:`run_reports` overrides them to point the notebooks at other data. A
notebook that fails does not stop the others: its error is shown on the index page and the run
reports failure.
"""

from __future__ import annotations

import html
import importlib.util
import json
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from soleus_analysis.athlete_pages import athlete_section
from soleus_analysis.build.output import check_output_folder
from soleus_analysis.errors import InputError

__all__ = ["NotebookRun", "check_reports", "find_notebooks", "notebook_title", "run_reports"]

#: What executing and rendering the notebooks needs (the ``notebooks`` extra).
NOTEBOOK_PACKAGES = ("papermill", "nbformat", "nbconvert", "ipykernel")


@dataclass(frozen=True)
class NotebookRun:
    """The outcome of executing one notebook.

    Attributes
    ----------
    notebook : str
        File name of the notebook.
    title : str
        Its first Markdown heading.
    html : str
        File name of the HTML report (relative to the reports folder), empty when it failed.
    seconds : float
        Wall time of the execution.
    error : str
        Empty when it ran; otherwise the error's last line.
    """

    notebook: str
    title: str
    html: str
    seconds: float
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def notebook_title(path: Path) -> str:
    """The first Markdown heading of a notebook (its file stem if it has none)."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", "")).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return Path(path).stem


def _execute(source: Path, executed: Path, parameters: dict, cwd: Path) -> None:
    import papermill

    papermill.execute_notebook(
        str(source),
        str(executed),
        parameters=parameters,
        cwd=str(cwd),
        kernel_name="python3",
        progress_bar=False,
        log_output=False,
        request_save_on_cell_execute=False,
        # The kernel logs a warning about unencrypted local TCP on every start; cell errors and a
        # dead kernel still raise, so only the kernel's own log lines are silenced.
        extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
    )


def _to_html(executed: Path, target: Path) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(executed), as_version=4)
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    target.write_text(body, encoding="utf-8")


def _index(runs: list[NotebookRun], parameters: dict, athletes: str = "") -> str:
    rows = []
    for i, run in enumerate(runs, 1):
        title = html.escape(run.title)
        link = f'<a href="{html.escape(run.html)}">{title}</a>' if run.ok else title
        status = "ok" if run.ok else f'<span class="fail">failed: {html.escape(run.error)}</span>'
        rows.append(
            f"<tr><td>{i}</td><td>{link}</td><td>{html.escape(run.notebook)}</td>"
            f"<td class='num'>{run.seconds:.1f} s</td><td>{status}</td></tr>"
        )
    params = "".join(
        f"<li><code>{html.escape(k)}</code> = <code>{html.escape(repr(v))}</code></li>"
        for k, v in parameters.items()
    ) or "<li>the notebooks' defaults (the shipped demo cohort)</li>"
    total = sum(r.seconds for r in runs)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>soleus-analysis reports</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
.fail {{ color: #b00020; }}
</style></head><body>
<h1>soleus-analysis reports</h1>
<p>Does soleus (bent-knee calf) training go with faster, more enduring, less fatigued running?
Each report below is an executed notebook: the question, the data, the method, the results and
their caveats.</p>
<table><thead><tr><th>#</th><th>report</th><th>notebook</th><th>time</th><th>status</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
<p>Total execution time: {total:.1f} s.</p>
{athletes}
<h2>Parameters</h2><ul>{params}</ul>
</body></html>
"""


def find_notebooks(notebooks_dir: str | Path) -> list[Path]:
    """The notebooks to run: ``NN-topic.ipynb`` files of a folder, in order.

    Raises
    ------
    InputError
        When the folder holds none.
    """
    folder = Path(notebooks_dir)
    sources = sorted(folder.glob("[0-9][0-9]-*.ipynb")) if folder.is_dir() else []
    if not sources:
        raise InputError(
            "no notebooks named NN-topic.ipynb", path=folder, fix="point --notebooks at them"
        )
    return sources


def check_reports(notebooks_dir: str | Path, out_dir: str | Path) -> list[Path]:
    """Check, before anything runs, that reports can be made: notebooks, packages, output folder.

    Returns
    -------
    list of Path
        The notebooks (:func:`find_notebooks`).

    Raises
    ------
    InputError
        When there are no notebooks, a package that runs them is missing, or the output folder
        cannot be written.
    """
    sources = find_notebooks(notebooks_dir)
    missing = [name for name in NOTEBOOK_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise InputError(
            f"running the notebooks needs {', '.join(missing)}, which is not installed",
            fix='install the notebooks extra: pip install "soleus-analysis[notebooks]"',
        )
    check_output_folder(out_dir, beside=False)
    return sources


def run_reports(
    notebooks_dir: str | Path = "notebooks",
    out_dir: str | Path = "reports",
    *,
    parameters: dict | None = None,
    progress: bool = True,
) -> list[NotebookRun]:
    """Execute every ``NN-*.ipynb`` notebook and write HTML reports and ``index.html``.

    Parameters
    ----------
    notebooks_dir : path
        Folder of the notebooks; each is executed with this folder as working directory.
    out_dir : path
        Where ``NN-topic.html``, ``index.html`` and the executed notebooks (``executed/``) go;
        with a ``PROCESSED_DIR`` parameter, also one page per athlete of that build
        (``athletes/``, :func:`soleus_analysis.write_athlete_pages`), linked from the index.
    parameters : dict, optional
        Values for the notebooks' ``parameters`` cells (papermill), e.g.
        ``{"RAW_DIR": "/data/my-athletes"}``; a notebook that does not define a name ignores it.
    progress : bool
        Show a progress bar with the notebook being executed.

    Returns
    -------
    list of NotebookRun
        One per notebook, in order.
    """
    notebooks_dir, out_dir = Path(notebooks_dir), Path(out_dir)
    sources = check_reports(notebooks_dir, out_dir)
    from tqdm import tqdm  # text bar on stderr; tqdm.auto warns in a kernel without ipywidgets

    parameters = dict(parameters or {})
    executed_dir = out_dir / "executed"
    executed_dir.mkdir(parents=True, exist_ok=True)
    runs = []
    bar = tqdm(sources, desc="notebooks", unit="nb", disable=not progress)
    for source in bar:
        bar.set_postfix_str(source.name)
        executed = executed_dir / source.name
        target = out_dir / f"{source.stem}.html"
        start = time.perf_counter()
        error = ""
        try:
            _execute(source, executed, parameters, notebooks_dir.resolve())
            _to_html(executed, target)
        except Exception as exc:  # a failing notebook is reported on the index, the rest still run
            error = (str(exc).strip().splitlines() or [type(exc).__name__])[-1][:300]
        runs.append(
            NotebookRun(
                notebook=source.name,
                title=notebook_title(source),
                html="" if error else target.name,
                seconds=time.perf_counter() - start,
                error=error,
            )
        )
    processed = parameters.get("PROCESSED_DIR")  # relative to the notebooks, as they read it
    athletes = athlete_section(None if processed is None else notebooks_dir / processed, out_dir)
    (out_dir / "index.html").write_text(_index(runs, parameters, athletes), encoding="utf-8")
    summary = pd.DataFrame([r.__dict__ for r in runs])
    summary.to_csv(out_dir / "runs.csv", index=False)
    return runs
