"""``python -m selfsim``: the command line."""

import sys

from selfsim.cli import main

sys.exit(main())
