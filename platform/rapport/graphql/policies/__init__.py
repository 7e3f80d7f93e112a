"""Access policy administration (security admins): rules, role grants, "why", and the change log."""
