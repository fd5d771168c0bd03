"""Live progress over server-sent events: the workers' wake-up message (publish.py), what the
events say (payloads.py), one watcher per batch and process (feed.py), the stream (stream.py)."""
