"""tortoise engines whose waits are bounded: a connection that is not free within the pool timeout
raises :class:`rapport.db_busy.DatabaseBusy` instead of waiting as long as the request lives.
``rapport.db.tortoise_config`` selects them."""
