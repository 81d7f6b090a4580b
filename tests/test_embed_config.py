"""``kgft embed --config FILE``: defaults from KgeConfig, then the file, then the options given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import cli
from core.errors import ConfigError
from kge_data import tiny_rows, write_triples
from model.kge import KgeConfig
from pipelines.config_file import resolve_settings

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def tiny_dir(tmp_path) -> Path:
    return write_triples(tmp_path / "tiny", *tiny_rows())


def _toml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_embed_takes_its_settings_from_the_config_file(tiny_dir, tmp_path, runner):
    cfg = _toml(tmp_path / "embed.toml", 'model = "distmult"\ndim = 6\nepochs = 2\neval_every = 2\n'
                                         'num_negatives = 3\nlr = 0.05\ndevice = "cpu"\nthreads = 1\n')
    out = tmp_path / "run"
    result = runner.invoke(cli, ["embed", "--triples", str(tiny_dir), "--config", str(cfg), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert (config["model"], config["dim"], config["epochs"], config["num_negatives"], config["lr"]) == \
        ("distmult", 6, 2, 3, 0.05)
    assert config["loss"] == "softplus"  # DistMult's default loss, not TransE's
    assert config["device"] == "cpu" and config["world_size"] == 1
    assert config["batch_size"] == KgeConfig().batch_size  # not in the file: the class default
    assert json.loads((out / "metrics.json").read_text())["epochs_run"] == 2


def test_options_given_win_over_the_file_and_the_file_over_defaults(tiny_dir, tmp_path, runner):
    cfg = _toml(tmp_path / "embed.toml", 'model = "distmult"\ndim = 6\nepochs = 2\neval_every = 1\n'
                                         'patience = 7\nsparse = true\n')
    out = tmp_path / "run"
    result = runner.invoke(cli, ["embed", "--triples", str(tiny_dir), "--config", str(cfg), "--dim", "4",
                                 "--dense", "--neg", "2", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert config["dim"] == 4 and config["sparse"] is False and config["num_negatives"] == 2  # options
    assert config["model"] == "distmult" and config["patience"] == 7 and config["epochs"] == 2  # file
    assert config["margin"] == KgeConfig().margin and config["negatives"] == "uniform"  # defaults
    # the same order in the function the CLI uses; None means "option not given"
    resolved = resolve_settings(KgeConfig, cfg, {"dim": None, "epochs": 5})
    assert (resolved.dim, resolved.epochs, resolved.patience) == (6, 5, 7)
    assert resolve_settings(KgeConfig, None, {}) == KgeConfig()


@pytest.mark.parametrize("text, key", [("dimm = 8\n", "dimm"), ('model = "transe"\n[optim]\nlr = 0.1\n', "optim")])
def test_unknown_config_key_fails_naming_it_and_writes_nothing(tiny_dir, tmp_path, runner, text, key):
    cfg = _toml(tmp_path / "embed.toml", text)
    out = tmp_path / "run"
    result = runner.invoke(cli, ["embed", "--triples", str(tiny_dir), "--config", str(cfg), "--out", str(out), "-q"])
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert f"unknown config key(s): {key}" in lines[0] and str(cfg) in lines[0]
    assert not out.exists()


def test_bad_config_file_values_and_files_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_settings(KgeConfig, tmp_path / "missing.toml", {})
    with pytest.raises(ConfigError, match="invalid TOML"):
        resolve_settings(KgeConfig, _toml(tmp_path / "bad.toml", "dim = \n"), {})
    with pytest.raises(ConfigError, match="model"):
        resolve_settings(KgeConfig, _toml(tmp_path / "m.toml", 'model = "nope"\n'), {})
    with pytest.raises(ConfigError, match="threads"):
        resolve_settings(KgeConfig, None, {"threads": 0})
