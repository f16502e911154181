"""Suite-wide set-up."""

from __future__ import annotations

import sys

# With the spark extra installed, Great Expectations imports pyspark.sql.connect, whose __init__ decides
# it is running doctests when `__main__` has neither a spec nor a file - which is the case in a
# pytest-xdist worker (started with `python -c`) - and calls sys.exit(0) when the Spark Connect
# client's own dependencies are absent. Give such a `__main__` a file name so GX imports normally.
_main = sys.modules.get("__main__")
if _main is not None and getattr(_main, "__spec__", None) is None and not hasattr(_main, "__file__"):
    _main.__file__ = "<pytest worker>"
