"""Writes, one module per job: batches, pages, page_actions, sweeper, async_attempts, queue,
retention. Import from the module that owns the function: nothing is re-exported here."""
