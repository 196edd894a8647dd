"""load_profile(), plan(), verify()."""
__all__: list = []
