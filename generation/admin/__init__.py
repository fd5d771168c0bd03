"""The generation admin, one module per page; importing them registers them."""

from generation.admin import batches, credits, images, pages, policies, providers  # noqa: F401
