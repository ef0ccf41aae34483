"""``python -m app.cli COMMAND``."""

import sys

from app.cli import main

sys.exit(main())
