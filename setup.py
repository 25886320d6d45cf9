"""Packaging that pyproject.toml cannot say: the notebooks and data sets ship inside the package.

``notebooks/`` and ``data/raw/`` stay the source of truth in the repository (nbval runs the
notebooks there; ``make analysis`` builds the data sets there). A wheel carries them as package
data, ``soleus_analysis/notebooks/*.ipynb`` and ``soleus_analysis/datasets/<name>/...``, so that
``soleus report`` finds them with ``importlib.resources`` from any working directory after
``pip install``. Everything else is in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["soleus_analysis", "soleus_analysis.*"]),
        "soleus_analysis.notebooks",
        "soleus_analysis.datasets",
    ],
    package_dir={
        "soleus_analysis.notebooks": "notebooks",
        "soleus_analysis.datasets": "data/raw",
    },
    package_data={
        "soleus_analysis": ["data/*"],
        "soleus_analysis.notebooks": ["[0-9][0-9]-*.ipynb"],
        "soleus_analysis.datasets": ["*/**/*", "README.md"],
    },
)
