"""The built-in plugins: the core's own defaults, registered through the same hooks as installed plugins."""
