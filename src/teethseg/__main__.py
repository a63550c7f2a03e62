"""``python -m teethseg``: the command line, also under ``torchrun -m teethseg``."""

import sys

from teethseg.cli import main

sys.exit(main())
