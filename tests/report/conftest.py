"""The report tests need matplotlib and pandas (the analysis extra); without them: not collected."""

import importlib.util

collect_ignore_glob = (
    [] if all(importlib.util.find_spec(m) for m in ("matplotlib", "pandas")) else ["test_*.py"]
)
