"""Default class-to-concept maps used by ``kgft explain`` (TOML files)."""
