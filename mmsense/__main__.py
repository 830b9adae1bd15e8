"""``python -m mmsense``: the command line (see ``mmsense/_cli``)."""

import sys

from ._cli import console_main

if __name__ == "__main__":
    sys.exit(console_main())
