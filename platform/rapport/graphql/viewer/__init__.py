"""Who is asking: the authenticated actor."""
