"""Test-only plugins: registered by tests with ``load_plugins(settings, extra=[...])``."""
