"""``python -m rapport.cli``: the same as the ``rapport`` console script."""

from rapport.cli import main

raise SystemExit(main())
