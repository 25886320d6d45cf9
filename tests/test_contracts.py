"""The functions that take canonical tables declare them, and the declarations hold.

Every declaration of :func:`soleus_analysis.contracts.takes_table` is held to the table's schema
(a renamed schema column fails here, not in a user's notebook), to the function's docstring, and
to what the function does with a frame that lacks a declared column.
"""

import ast
import importlib
import inspect
import re
from pathlib import Path

import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.contracts import TableContract, require_table, table_contracts, takes_table
from soleus_analysis.schemas import TABLES, canonical_columns

PACKAGE = Path(sol.__file__).resolve().parent

#: The functions that declare the canonical tables they take.
DECLARING = {
    "soleus_analysis.daily.daily_panel",
    "soleus_analysis.dose.soleus_dose",
    "soleus_analysis.dose.weekly_dose",
    "soleus_analysis.injuries.injury_reports",
    "soleus_analysis.loads.daily.daily_load",
    "soleus_analysis.loads.sessions.session_loads",
    "soleus_analysis.panel.build_panel",
    "soleus_analysis.panel.panel_parts",
    "soleus_analysis.running.run_metrics",
    "soleus_analysis.running.weekly_runs",
}
#: Arguments without a default that a valid call needs besides the tables.
REQUIRED_OPTIONS = {
    "panel_parts": dict(catalog=None, lags=(1,), window=None, ewma="williams", tz="UTC",
                        min_coverage=5 / 7, max_gap_days=14, exposures=None, lag_columns=None,
                        easy="auto"),
}
# The package's own declarations (a test below declares a function of its own).
CONTRACTS = tuple(c for c in table_contracts() if c.function.startswith("soleus_analysis."))


def _function(contract: TableContract):
    module, _, name = contract.function.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _declared_in_source() -> set[str]:
    """Every function of the package decorated with ``takes_table``, read from the source."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call) and getattr(deco.func, "id", "") == "takes_table":
                    found.add(f"{module}.{node.name}")
    return found


def _parameter_entry(fn, argument: str) -> str:
    """The numpydoc Parameters entry that documents ``argument``, on one line."""
    lines = inspect.getdoc(fn).splitlines()
    start = lines.index("Parameters") + 2
    entry, inside = [], False
    for i, line in enumerate(lines[start:], start):
        if i + 1 < len(lines) and set(lines[i + 1]) == {"-"}:
            break  # the next section's title
        if line and not line[0].isspace():
            names = [n.strip() for n in line.split(" : ")[0].split(",")]
            inside = argument in names
        if inside:
            entry.append(line.strip())
    return " ".join(" ".join(entry).split())


OWN_STUDY = Path(__file__).parent / "data" / "own-study"


@pytest.fixture(scope="module", params=["simulated", "own-study"])
def tables(request):
    """Validated canonical tables: a simulated cohort (wellness with PMSys injury answers), or
    the real exports of ``tests/data/own-study`` (GPX, Strong, PMSys, Fitbit; not made by us)."""
    if request.param == "simulated":
        raw = sol.simulate_cohort(4, 6, rng=1).tables()
        raw["wellness"] = raw["wellness"].assign(injury="none")
        raw["wellness"].loc[raw["wellness"].index[3], "injury"] = "left_leg:minor"
    else:
        raw = sol.read_folder(OWN_STUDY).tables
    out = {}
    for table, frame in raw.items():
        result = sol.validate(frame, table)
        if request.param == "simulated":
            assert result.valid.shape[0] == frame.shape[0]  # nothing rejected: a valid table
        assert len(result.valid), table
        out[table] = result.valid
    return out


def test_the_registry_lists_every_declaring_function():
    assert {c.function for c in CONTRACTS} == DECLARING == _declared_in_source()


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: f"{c.function}-{c.argument}")
def test_every_declared_column_is_a_column_of_the_schema(contract):
    schema = canonical_columns(contract.table)
    assert contract.columns and set(contract.columns) <= set(schema), contract
    # The columns a caller names by default are the schema's too.
    signature = inspect.signature(_function(contract))
    for name in contract.named_by:
        default = signature.parameters[name].default
        assert set([default] if isinstance(default, str) else default) <= set(schema)


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: f"{c.function}-{c.argument}")
def test_the_docstring_says_which_table_and_columns(contract):
    fn = _function(contract)
    entry = _parameter_entry(fn, contract.argument)
    schema_class = f":class:`~soleus_analysis.schemas.{TABLES[contract.table].__name__}`"
    needs = ", ".join(f"``{c}``" for c in contract.columns)
    assert f"``{contract.table}``" in entry, entry
    assert re.search(re.escape(schema_class) + r"[^:]*?needs " + re.escape(needs) + r"(?!, ``)",
                     entry), f"{contract.function}: {entry}"
    for name in contract.named_by:
        assert f"``{name}``" in entry


def _call(fn, **given):
    """Call ``fn`` with ``given`` and None for every other argument without a default."""
    kwargs = {
        name: None
        for name, p in inspect.signature(fn).parameters.items()
        if p.default is inspect.Parameter.empty
    }
    kwargs.update(REQUIRED_OPTIONS.get(fn.__name__, {}))
    kwargs.update(given)
    return fn(**kwargs)


@pytest.mark.parametrize(
    ("contract", "column"),
    [(c, col) for c in CONTRACTS for col in c.columns],
    ids=lambda v: v if isinstance(v, str) else f"{v.function}-{v.argument}",
)
def test_a_frame_without_a_declared_column_is_refused(contract, column, tables):
    fn = _function(contract)
    lacking = tables[contract.table].drop(columns=column)
    with pytest.raises(sol.InputError) as err:
        _call(fn, **{contract.argument: lacking})
    text = str(err.value)
    assert f"{fn.__name__}(): the {contract.table} table" in text
    assert re.search(rf"lacks the column\(s\) [^(]*\b{column}\b", text), text
    assert f"sol.validate(df, '{contract.table}').valid" in text
    assert f"soleus schema {contract.table}" in text


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: f"{c.function}-{c.argument}")
def test_what_is_not_a_frame_is_a_type_error_naming_the_function(contract):
    fn = _function(contract)
    with pytest.raises(TypeError, match=rf"{fn.__name__}\(\): {contract.argument} must be a "):
        _call(fn, **{contract.argument: [1, 2]})


@pytest.mark.parametrize("function", sorted(DECLARING))
def test_validated_tables_pass(function, tables):
    module, _, name = function.rpartition(".")
    fn = getattr(importlib.import_module(module), name)
    given = {c.argument: tables[c.table] for c in CONTRACTS if c.function == function}
    assert _call(fn, **given) is not None


def test_columns_named_by_an_argument_are_checked_and_the_fix_says_so(tables):
    with pytest.raises(sol.InputError, match=r"lacks the column\(s\) team .*with group="):
        sol.injury_reports(tables["wellness"], group="team")
    with pytest.raises(sol.InputError, match=r"column\(s\) vigour .*with outcomes="):
        sol.daily_panel(tables["sessions"], wellness=tables["wellness"], outcomes=["vigour"])


def test_a_declaration_keeps_the_signature_and_checks_the_topmost_first():
    @takes_table("runs", ["athlete_id", "start"], optional=True)
    @takes_table("sessions", ["athlete_id", "start"])
    def both(sessions, runs=None, *, flag=False):
        """Doc."""
        return flag

    assert list(inspect.signature(both).parameters) == ["sessions", "runs", "flag"]
    assert both.__doc__ == "Doc." and both.__name__ == "both"
    assert both(pd.DataFrame(columns=["athlete_id", "start"]), flag=True) is True
    with pytest.raises(sol.InputError, match="the runs table"):
        both(pd.DataFrame(), runs=pd.DataFrame())
    with pytest.raises(TypeError, match="sessions must be"):
        both(None)
    with pytest.raises(ValueError, match="unknown table"):
        takes_table("run", ["start"])


def test_the_message_lists_a_wide_frame_in_part():
    wide = pd.DataFrame(columns=[f"c{i}" for i in range(30)])
    with pytest.raises(sol.InputError, match=r"c19 and 10 more\)") as err:
        require_table(wide, "athlete_week", ["week_start"], caller="f", argument="panel")
    assert "the athlete_week table passed as panel lacks" in str(err.value)
