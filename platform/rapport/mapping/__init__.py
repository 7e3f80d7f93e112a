"""What each GraphQL type of the core is in the database: table, field -> column or expression, relation ->
join, personal field -> masking. The compiled read path (``rapport.compiler``) builds its SQL from these
declarations; see ``declarations.py``."""
