"""`python -m pykeepalived` runs the command line."""

from __future__ import annotations

import sys

from pykeepalived.cli import main

sys.exit(main())
