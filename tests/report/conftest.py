"""The report tests need the analysis extra (matplotlib, pandas); without it they are not collected."""

import importlib.util

collect_ignore_glob = ([] if all(importlib.util.find_spec(m) for m in ("matplotlib", "pandas"))
                       else ["test_*.py"])
