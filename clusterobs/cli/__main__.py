"""`python -m clusterobs.cli`: the `clusterobs` command."""

import sys

from clusterobs.cli import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
