"""Rapport: a headless CRM platform.

Plugins need only two names from the top of the package: ``__version__`` and ``hookimpl``.
"""

import pluggy

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("rapport")

__all__ = ["__version__", "hookimpl"]
