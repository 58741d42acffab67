"""``python -m fazhi``: the same as the ``fazhi`` console script (worker children use this)."""

import sys

from fazhi.cli import main

sys.exit(main())
