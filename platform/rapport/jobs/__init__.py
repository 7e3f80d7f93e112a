"""Background jobs on taskiq: a redis stream queue in production, in-process in embedded mode."""
