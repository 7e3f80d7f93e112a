"""Classification of customers and tickets by rules from plugins (the defaults are a built-in plugin)."""
