"""Shared pytest setup: a non-interactive plotting backend and closed figures."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def pytest_collection_modifyitems(config, items):
    """Skip `@pytest.mark.slow` studies unless a marker expression is given (`pytest -m slow`)."""
    if config.option.markexpr:
        return
    skip = pytest.mark.skip(reason="slow study: run with `pytest -m slow`")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


# Scripts under tests/data make reference files; they are never test modules (doctest collection
# would run them and write files into the working directory).
collect_ignore_glob = ["tests/data/*"]
