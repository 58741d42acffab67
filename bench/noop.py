"""A job that does nothing: the RQ round-trip baseline (workers import it by name)."""


def noop() -> int:
    return 0
