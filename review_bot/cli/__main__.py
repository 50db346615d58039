"""``python -m review_bot.cli``."""

import sys

from review_bot.cli import main

sys.exit(main())
