"""Execute the analysis notebooks and write one HTML report per notebook plus an index page.

Each notebook starts with a cell tagged ``parameters`` (papermill convention) whose defaults run on
the shipped data; :func:`run_reports` overrides them to point the notebooks at other data. A
notebook that fails does not stop the others: its HTML report shows its cells up to the one that
failed and then the error in one paragraph (no traceback), the index links it and marks it
failed, and the run reports failure.

Where the notebooks are
-----------------------
They ship inside the package (``soleus_analysis/notebooks/``, copied from the repository's
``notebooks/`` when the wheel is built; see ``setup.py``), so ``soleus report`` works from any
working directory after ``pip install``. :func:`locate_notebooks` looks, in order, at a folder
given (``--notebooks``), the installed package's copy, and the ``notebooks/`` folder of a source
checkout next to the package (editable installs). The shipped data sets (``data/raw/*`` of the
repository) are found the same way (:func:`locate_datasets`).

What a notebook is about
------------------------
A notebook's metadata may say whether it analyses the user's study (the default) or is about one
shipped data set::

    "metadata": {"soleus": {"about": "pmdata"}}     # or {"about": "study"}, the default

The index lists the notebooks about a shipped data set apart, as "about <data set>"
(:func:`notebook_about`).

Working folder
--------------
Notebooks read their default data with paths relative to their folder (``../data/raw/<set>``).
In a source checkout they run in their own folder, as under nbval. Elsewhere (the installed copy,
or a folder given without ``../data/raw`` next to it) they run in ``<out>/work/notebooks``, with
``<out>/work/data/raw`` a link to the shipped data sets and ``<out>/work/data/processed`` their
builds, so that nothing is written into the installed package.
"""

from __future__ import annotations

import html
import importlib.util
import json
import os
import re
import time
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import pandas as pd

from soleus_analysis.athlete_pages import athlete_section
from soleus_analysis.build.output import check_output_folder
from soleus_analysis.errors import InputError

__all__ = [
    "NotebookRun",
    "check_reports",
    "check_study_folder",
    "find_notebooks",
    "locate_datasets",
    "locate_notebooks",
    "notebook_about",
    "notebook_title",
    "run_reports",
]

#: What executing and rendering the notebooks needs (the ``notebooks`` extra).
NOTEBOOK_PACKAGES = ("papermill", "nbformat", "nbconvert", "ipykernel")
#: The kernel the notebooks are executed with.
KERNEL = "python3"
#: What a notebook is about when its metadata does not say (the user's study).
STUDY = "study"
_NOTEBOOK_GLOB = "[0-9][0-9]-*.ipynb"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_ERROR_CHARS = 300


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
        File name of the HTML report (relative to the reports folder); a failed notebook's report
        shows its cells up to the failure. Empty only when not even that could be written.
    seconds : float
        Wall time of the execution.
    error : str
        Empty when it ran; otherwise the error's last line.
    about : str
        ``"study"``, or the shipped data set the notebook is about (:func:`notebook_about`).
    """

    notebook: str
    title: str
    html: str
    seconds: float
    error: str = ""
    about: str = STUDY

    @property
    def ok(self) -> bool:
        return not self.error


def _read_json(path: Path) -> dict:
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            f"not a readable notebook ({exc})", path=path, fix="restore the notebook file"
        ) from None
    return nb if isinstance(nb, dict) else {}


def notebook_title(path: str | PathLike[str]) -> str:
    """The first Markdown heading of a notebook (its file stem if it has none)."""
    for cell in _read_json(Path(path)).get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", "")).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return Path(path).stem


def notebook_about(path: str | PathLike[str]) -> str:
    """What a notebook analyses: ``"study"`` (the default) or the shipped data set it is about.

    Read from the notebook's metadata, ``{"soleus": {"about": "<data set>"}}``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d) / "07-x.ipynb"
    ...     _ = p.write_text('{"cells": [], "metadata": {"soleus": {"about": "pmdata"}}}')
    ...     q = Path(d) / "02-y.ipynb"
    ...     _ = q.write_text('{"cells": [], "metadata": {}}')
    ...     notebook_about(p), notebook_about(q)
    ('pmdata', 'study')
    """
    meta = _read_json(Path(path)).get("metadata", {})
    about = meta.get("soleus", {}).get("about") if isinstance(meta.get("soleus"), dict) else None
    about = str(about).strip() if about is not None else ""
    return about or STUDY


def _package_folder(name: str) -> Path | None:
    """A folder shipped inside the installed package (None when this install has none)."""
    from importlib.resources import files

    try:
        folder = Path(str(files("soleus_analysis") / name))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - a zipped install
        return None
    return folder if folder.is_dir() else None


def _checkout_folder(*parts: str) -> Path | None:
    """A folder of the source checkout the package is imported from (editable installs)."""
    folder = Path(__file__).resolve().parent.parent.joinpath(*parts)
    return folder if folder.is_dir() else None


def locate_notebooks(given: str | PathLike[str] | None = None) -> Path:
    """The folder of the notebooks to run.

    Parameters
    ----------
    given : path, optional
        A folder named by the user (``--notebooks``); used as it is.

    Returns
    -------
    Path
        ``given``; else the installed package's ``soleus_analysis/notebooks``; else the
        ``notebooks/`` folder of the source checkout the package is imported from.

    Raises
    ------
    InputError
        When none of them holds ``NN-topic.ipynb`` notebooks.
    """
    if given is not None:
        find_notebooks(given)
        return Path(given)
    for folder in (_package_folder("notebooks"), _checkout_folder("notebooks")):
        if folder is not None and any(folder.glob(_NOTEBOOK_GLOB)):
            return folder
    raise InputError(
        "the notebooks are neither installed with the package nor in a source checkout",
        fix='reinstall it (pip install "soleus-analysis[notebooks]") or pass --notebooks FOLDER',
    )


def locate_datasets() -> Path | None:
    """The folder of the shipped data sets (``demo-cohort``, ``pmdata``), or None.

    The installed package's ``soleus_analysis/datasets``, else the ``data/raw`` folder of the
    source checkout the package is imported from.
    """
    return _package_folder("datasets") or _checkout_folder("data", "raw")


def find_notebooks(notebooks_dir: str | PathLike[str]) -> list[Path]:
    """The notebooks to run: ``NN-topic.ipynb`` files of a folder, in order.

    Raises
    ------
    InputError
        When the folder holds none.
    """
    folder = Path(notebooks_dir)
    sources = sorted(folder.glob(_NOTEBOOK_GLOB)) if folder.is_dir() else []
    if not sources:
        raise InputError(
            "no notebooks named NN-topic.ipynb", path=folder, fix="point --notebooks at them"
        )
    return sources


def check_study_folder(path: str | PathLike[str], *, option: str = "--data") -> Path:
    """Fail early, in one line, when a study folder cannot be read.

    Returns
    -------
    Path
        The folder, absolute.

    Raises
    ------
    InputError
        When it does not exist, is not a folder, cannot be read or holds no file.
    """
    folder = Path(path)
    if not folder.exists():
        raise InputError("study folder not found", path=folder, fix=f"check the {option} path")
    if not folder.is_dir():
        raise InputError(
            "is a file, not a study folder",
            path=folder,
            fix=f"give {option} the folder that holds the athletes' exports",
        )
    if not os.access(folder, os.R_OK | os.X_OK):
        raise InputError(
            "the study folder cannot be read (permission denied)",
            path=folder,
            fix="give yourself read access to it (chmod -R u+rX) or copy it somewhere readable",
        )
    try:
        has_file = any(p.is_file() for p in folder.rglob("*"))
    except OSError as exc:
        raise InputError(
            f"the study folder cannot be read ({exc.strerror or exc})",
            path=folder,
            fix="give yourself read access to all of it (chmod -R u+rX)",
        ) from None
    if not has_file:
        raise InputError(
            "the study folder holds no file",
            path=folder,
            fix="put one folder per athlete with their exports in it (soleus init writes a "
            "template)",
        )
    return folder.resolve()


def _check_kernel() -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        raise InputError(
            f"no Jupyter kernel named {KERNEL!r} to run the notebooks",
            fix="install one: python -m ipykernel install --user --name python3",
        ) from None


def check_reports(
    notebooks_dir: str | PathLike[str] | None, out_dir: str | PathLike[str]
) -> list[Path]:
    """Check, before anything runs, that reports can be made: notebooks, packages, output folder.

    Parameters
    ----------
    notebooks_dir : path or None
        The notebooks' folder; None finds the shipped ones (:func:`locate_notebooks`).
    out_dir : path
        The reports folder.

    Returns
    -------
    list of Path
        The notebooks (:func:`find_notebooks`).

    Raises
    ------
    InputError
        When there are no notebooks, a package or the kernel that runs them is missing, or the
        output folder cannot be written.
    """
    sources = find_notebooks(locate_notebooks(notebooks_dir))
    missing = [name for name in NOTEBOOK_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise InputError(
            f"running the notebooks needs {', '.join(missing)}, which is not installed",
            fix='install the notebooks extra: pip install "soleus-analysis[notebooks]"',
        )
    _check_kernel()
    check_output_folder(out_dir, beside=False)
    return sources


def _execute(source: Path, executed: Path, parameters: dict, cwd: Path) -> None:
    import papermill

    papermill.execute_notebook(
        str(source),
        str(executed),
        parameters=parameters,
        cwd=str(cwd),
        kernel_name=KERNEL,
        language="python",  # a notebook whose metadata does not say it runs all the same
        progress_bar=False,
        log_output=False,
        request_save_on_cell_execute=False,
        # The kernel logs a warning about unencrypted local TCP on every start; cell errors and a
        # dead kernel still raise, so only the kernel's own log lines are silenced.
        extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
    )


def _render(nb, target: Path) -> None:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    target.write_text(body, encoding="utf-8")


def _to_html(executed: Path, target: Path) -> None:
    import nbformat

    _render(nbformat.read(str(executed), as_version=4), target)


def _error_line(exc: BaseException, limit: int | None = _ERROR_CHARS) -> str:
    """The error's last line, without terminal colours: ``ValueError: planted failure``."""
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename:
        lines = str(evalue or "").strip().splitlines()
        text = f"{ename}: {lines[-1]}" if lines else str(ename)
    else:
        lines = str(exc).strip().splitlines()
        text = lines[-1] if lines else type(exc).__name__
    text = _ANSI.sub("", text).strip()
    if limit is not None and len(text) > limit:  # the index shows one line; the page all of it
        text = text[: limit - 4].rsplit(" ", 1)[0] + " ..."
    return text


def _failed_notebook(source: Path, executed: Path, error: str):
    """The notebook as far as it ran, the failing cell without its traceback, then the error.

    Papermill writes the executed notebook with the outputs up to the failing cell and adds
    its own banner cells; the banners and the cells after the failure are left out, and one
    Markdown paragraph states the error.
    """
    import nbformat

    ran = executed.exists()
    nb = nbformat.read(str(executed if ran else source), as_version=4)
    cells = [c for c in nb.cells if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]
    if not ran:  # nothing ran: the source's stored outputs are not this run's; keep its title
        cells = [c for c in cells if c.cell_type == "markdown"][:1]
    failed_at = None
    for i, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors:
            cell.outputs = [o for o in cell.outputs if o.get("output_type") != "error"]
            failed_at = i
            break
    if failed_at is not None:
        cells = cells[: failed_at + 1]
        where = "the cell above"
    else:  # it failed before or outside a cell (no kernel, a dead kernel): keep what ran
        cells = [c for c in cells if c.cell_type == "markdown" or c.get("outputs")]
        where = "this notebook"
    text = html.escape(error).replace("*", "&#42;").replace("_", "&#95;").replace("`", "&#96;")
    note = nbformat.v4.new_markdown_cell(
        f"**This report stopped here: {where} failed with** {text}\n\n"
        "The cells after it were not run. The other reports are not affected."
    )
    note.metadata["tags"] = ["soleus-error"]
    nb.cells = [*cells, note]
    return nb


def _workdir(notebooks_dir: Path, out_dir: Path) -> Path:
    """Where the notebooks run (see the module docstring): their folder or ``<out>/work``."""
    if (notebooks_dir.parent / "data" / "raw").is_dir():
        return notebooks_dir.resolve()
    work = out_dir.resolve() / "work"
    cwd = work / "notebooks"
    cwd.mkdir(parents=True, exist_ok=True)
    (work / "data" / "processed").mkdir(parents=True, exist_ok=True)
    raw = work / "data" / "raw"
    datasets = locate_datasets()
    if datasets is not None and not raw.exists():
        if raw.is_symlink():  # a dangling link from an earlier install
            raw.unlink()
        try:
            raw.symlink_to(datasets, target_is_directory=True)
        except OSError:  # no symbolic links here: the notebooks about a data set will say so
            pass
    return cwd


def _rows(runs: list[tuple[int, NotebookRun]], about: bool) -> str:
    rows = []
    for i, run in runs:
        title = html.escape(run.title)
        link = f'<a href="{html.escape(run.html)}">{title}</a>' if run.html else title
        status = "ok" if run.ok else f'<span class="fail">failed: {html.escape(run.error)}</span>'
        what = f"<td>about {html.escape(run.about)}</td>" if about else ""
        rows.append(
            f"<tr><td>{i}</td><td>{link}</td>{what}<td>{html.escape(run.notebook)}</td>"
            f"<td class='num'>{run.seconds:.1f} s</td><td>{status}</td></tr>"
        )
    return "".join(rows)


def _index(runs: list[NotebookRun], parameters: dict, athletes: str = "") -> str:
    numbered = list(enumerate(runs, 1))
    study = [(i, r) for i, r in numbered if r.about == STUDY]
    shipped = [(i, r) for i, r in numbered if r.about != STUDY]
    params = "".join(
        f"<li><code>{html.escape(k)}</code> = <code>{html.escape(repr(v))}</code></li>"
        for k, v in parameters.items()
    ) or "<li>the notebooks' defaults (the shipped demo cohort)</li>"
    total = sum(r.seconds for r in runs)
    failed = sum(not r.ok for r in runs)
    verdict = (
        f'<p class="fail">{failed} of {len(runs)} reports failed; each shows its cells up to the '
        "failure and the error.</p>"
        if failed
        else ""
    )
    others = ""
    if shipped:
        others = f"""<h2>About the shipped data sets</h2>
<p>These reports are about a data set that ships with soleus-analysis, not about the study above;
they show the method on data where it has something to find.</p>
<table><thead><tr><th>#</th><th>report</th><th>about</th><th>notebook</th><th>time</th>\
<th>status</th></tr></thead>
<tbody>{_rows(shipped, about=True)}</tbody></table>
"""
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
{verdict}<table><thead><tr><th>#</th><th>report</th><th>notebook</th><th>time</th><th>status</th>\
</tr></thead>
<tbody>{_rows(study, about=False)}</tbody></table>
{others}<p>Total execution time: {total:.1f} s.</p>
{athletes}
<h2>Parameters</h2><ul>{params}</ul>
</body></html>
"""


def run_reports(
    notebooks_dir: str | PathLike[str] | None = None,
    out_dir: str | PathLike[str] = "reports",
    *,
    parameters: dict | None = None,
    progress: bool = True,
) -> list[NotebookRun]:
    """Execute every ``NN-*.ipynb`` notebook and write HTML reports and ``index.html``.

    Parameters
    ----------
    notebooks_dir : path, optional
        Folder of the notebooks; default the shipped ones (:func:`locate_notebooks`). Each runs
        in its folder in a source checkout, else in ``<out_dir>/work/notebooks`` (see the module
        docstring).
    out_dir : path
        Where ``NN-topic.html``, ``index.html``, ``runs.csv`` and the executed notebooks
        (``executed/``) go; with a ``PROCESSED_DIR`` parameter, also one page per athlete of
        that build (``athletes/``, :func:`soleus_analysis.write_athlete_pages`), linked from the
        index.
    parameters : dict, optional
        Values for the ``parameters`` cells (papermill) of the notebooks about the study, e.g.
        ``{"RAW_DIR": "/data/my-athletes"}``; a notebook that does not define a name ignores it.
        Notebooks about a shipped data set (:func:`notebook_about`) keep their defaults.
    progress : bool
        Show a progress bar with the notebook being executed (on stderr, when a terminal).

    Returns
    -------
    list of NotebookRun
        One per notebook, in order.
    """
    out_dir = Path(out_dir)
    sources = check_reports(notebooks_dir, out_dir)
    notebooks_dir = sources[0].parent
    from tqdm import tqdm  # text bar on stderr; tqdm.auto warns in a kernel without ipywidgets

    parameters = dict(parameters or {})
    executed_dir = out_dir / "executed"
    executed_dir.mkdir(parents=True, exist_ok=True)
    cwd = _workdir(notebooks_dir, out_dir)
    runs = []
    # Shown on a terminal only (disable=None): a log or a pipe gets the summary lines alone.
    bar = tqdm(sources, desc="notebooks", unit="nb", disable=None if progress else True)
    for source in bar:
        bar.set_postfix_str(source.name)
        executed = executed_dir / source.name
        executed.unlink(missing_ok=True)  # an earlier run's notebook is not this run's
        target = out_dir / f"{source.stem}.html"
        about = notebook_about(source)
        start = time.perf_counter()
        error = ""
        try:
            _execute(source, executed, parameters if about == STUDY else {}, cwd)
            _to_html(executed, target)
        except Exception as exc:  # a failing notebook is reported on the index, the rest still run
            error = _error_line(exc)
            try:
                _render(_failed_notebook(source, executed, _error_line(exc, None)), target)
            except Exception:  # not even the part that ran can be shown: the index says why
                target.unlink(missing_ok=True)
        runs.append(
            NotebookRun(
                notebook=source.name,
                title=notebook_title(source),
                html=target.name if target.exists() else "",
                seconds=time.perf_counter() - start,
                error=error,
                about=about,
            )
        )
    processed = parameters.get("PROCESSED_DIR")  # relative to where the notebooks ran
    athletes = athlete_section(None if processed is None else cwd / processed, out_dir)
    (out_dir / "index.html").write_text(_index(runs, parameters, athletes), encoding="utf-8")
    summary = pd.DataFrame([r.__dict__ for r in runs])
    summary.to_csv(out_dir / "runs.csv", index=False)
    return runs
