"""``soleus build``: raw exports -> validated tables, quarantine, athlete-week panel, report."""

from soleus_analysis.build.pandas_engine import build
from soleus_analysis.build.parts import replicate_tables, write_partitioned
from soleus_analysis.build.report import BuildReport
from soleus_analysis.build.study import Study, open_study, study_folders

__all__ = [
    "BuildReport",
    "Study",
    "build",
    "open_study",
    "replicate_tables",
    "study_folders",
    "write_partitioned",
]
