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


@pytest.mark.parametrize("value, low_open, high_open, ok", [
    (0.0, False, False, True), (1.0, False, False, True), (0.0, True, False, False), (1.0, False, True, False),
    (float("nan"), False, False, False), (-0.1, False, False, False), ("0.5", False, False, False)])
def test_require_fraction_checks_the_interval_asked_for(value, low_open, high_open, ok):
    from core.errors import ConfigError
    from core.validation import require_fraction

    if ok:
        require_fraction("data", "share", value, low_open, high_open)
    else:
        with pytest.raises(ConfigError, match=r"data\.share must be in [\[(]0, 1[\])], got"):
            require_fraction("data", "share", value, low_open, high_open)


def test_require_non_negative_names_the_first_bad_value():
    from types import SimpleNamespace

    from core.errors import ConfigError
    from core.validation import require_non_negative

    require_non_negative("optim", ("lr", "clip"), SimpleNamespace(lr=0.0, clip=2))
    with pytest.raises(ConfigError, match=r"optim\.clip must be a finite number >= 0, got inf"):
        require_non_negative("optim", ("lr", "clip"), SimpleNamespace(lr=1.0, clip=float("inf")))


def test_classifier_config_owns_the_architecture_checks():
    from core.errors import ConfigError
    from model.classifier import ClassifierConfig
    from pipelines.train_parts import ModelOptions

    with pytest.raises(ConfigError, match=r"model\.embedding_dropout must be in \[0, 1\), got 1.5"):
        ClassifierConfig(vocab_size=5, num_classes=2, embedding_dropout=1.5)
    with pytest.raises(ConfigError, match="hidden must be at least 1"):
        ModelOptions(hidden=0)  # the [model] part is checked by ClassifierConfig
    config = ModelOptions(layers=2).classifier_config(vocab_size=7, num_classes=3, pad_index=1)
    assert (config.vocab_size, config.num_classes, config.pad_index, config.layers) == (7, 3, 1, 2)


def test_run_script_turns_a_kgft_error_into_one_line_and_status_1(capsys, monkeypatch):
    import argparse

    monkeypatch.delenv("KGFT_QUIET", raising=False)

    from core.errors import DataError
    from core.progress import is_quiet, set_quiet
    from core.script import run_script

    def fail(args):
        raise DataError("no such file: x.csv", hint="check the path")

    assert run_script(argparse.ArgumentParser(), fail, ["--quiet"]) == 1
    assert capsys.readouterr().err == "error: no such file: x.csv (hint: check the path)\n"
    assert is_quiet()
    seen = []
    assert run_script(argparse.ArgumentParser(), seen.append, []) == 0
    assert seen[0].quiet is False and not is_quiet()
    set_quiet(False)
