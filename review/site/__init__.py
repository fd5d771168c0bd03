"""The review site for evaluators (Django templates under review/templates/review/, mounted
under /review/ by config.urls)."""
