"""apply(), rollback(), history()."""
__all__: list = []
