"""A deterministic synthetic region (and a synthetic England) for demonstrations and tests.

Everything generated here is fictional: places, names, boundaries and counts. Codes use the prefix
``X``, which ONS never issues. See ``docs/demo.md`` for the model.

>>> from pathlib import Path
>>> from hiworkbook.demo import generate_demo
>>> toml = generate_demo(Path("data/demo"))          # doctest: +SKIP
"""

from hiworkbook.demo.writer import (
    DEFAULT_SEED,
    FILES,
    build_region,
    generate_demo,
    generate_england,
)

__all__ = ["DEFAULT_SEED", "FILES", "build_region", "generate_demo", "generate_england"]
