"""clusterobs: Eurostat's regional business and employment statistics turned into cluster mapping,
ecosystem scoreboard and trend datasets.

The package's parts keep the repository's top-level folders (`flows/`, `transforms/`, `sql/`,
`expectations/`, `data/`): the wheel carries them inside this package (`hatch_build.py`), so nothing but
`clusterobs` lands in site-packages; in a source checkout this package's path also covers the checkout,
so `clusterobs.flows` is the `flows/` folder either way (docs/architecture.md).
"""

from pathlib import Path as _Path

_package = _Path(__file__).resolve().parent
if not (_package / "flows").is_dir() and (_package.parent / "flows" / "__init__.py").is_file():
    __path__.append(str(_package.parent))
