"""`python -m craftvision.cli ...` (as used by torchrun and the tests)."""

import sys

from . import main

sys.exit(main())
