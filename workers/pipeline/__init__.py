"""The extraction pipeline: bytes → text with offsets → normalised text → outline and sections →
metadata → quantities → indicator ids → citations and item lists → checks → result.

Run it with :func:`workers.pipeline.runner.extract`.
"""
