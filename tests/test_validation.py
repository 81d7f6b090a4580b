"""Tests for core.validation."""

import pytest


def test_require_at_least_one_names_the_option():
    from types import SimpleNamespace

    from core.errors import ConfigError
    from core.validation import require_at_least_one

    cfg = SimpleNamespace(batch_size=4, max_len=0)
    require_at_least_one(cfg, ("batch_size",))
    with pytest.raises(ConfigError, match="max-len must be at least 1, got 0"):
        require_at_least_one(cfg, ("batch_size", "max_len"))
    with pytest.raises(ConfigError, match="max_len must be at least 1"):
        require_at_least_one(cfg, ("max_len",), dashed=False)
