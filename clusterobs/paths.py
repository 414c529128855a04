"""Where the project's own run-time files are (SQL models, suites, reference tables, demo extracts,
configuration, column meanings): inside the installed package, or in the checkout it runs from. Imported
by the light read commands, so it imports nothing heavy."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

PACKAGE_DIR = Path(str(files("clusterobs")))
# An installed wheel carries the files in the package (hatch_build.py); a checkout has them beside it.
ASSETS_DIR = PACKAGE_DIR if (PACKAGE_DIR / "sql").is_dir() else PACKAGE_DIR.parent
# The repository of a checkout (docs and scripts a developer regenerates); None when installed.
PROJECT_ROOT = PACKAGE_DIR.parent if ASSETS_DIR != PACKAGE_DIR else None

SQL_DIR = ASSETS_DIR / "sql"
EXPECTATIONS_DIR = ASSETS_DIR / "expectations"
REFERENCE_DIR = ASSETS_DIR / "data" / "reference"
DEMO_DIR = ASSETS_DIR / "data" / "demo"
