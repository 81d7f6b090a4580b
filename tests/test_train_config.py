"""The training configuration's nested parts: TOML tables, flat keys of older files and runs, CLI overrides."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from cli import cli
from core.errors import ConfigError
from pipelines.knowledge_channel import ChannelOptions
from pipelines.train_config import FLAT_KEYS, PARTS, TOP_LEVEL, TrainConfig, resolve_config
from toy_data import write_sentiment_csv

NESTED = """
seeds = 2
device = "cpu"

[data]
dataset = "reviews.csv"
max_train = 400
test_fraction = 0.3

[model]
hidden = 32
pooling = "max"

[optim]
epochs = 3
lr = 3e-3

[knowledge]
source = "runs/kge"
control = "shuffled"
max_entities_per_mention = 2

[embed]
model = "distmult"
dim = 32
num_negatives = 8
negatives = "uniform"

[channel]
concept_dim = 24
"""

FLAT = """
seeds = 2
device = "cpu"
dataset = "reviews.csv"
max_train = 400
test_fraction = 0.3
hidden = 32
pooling = "max"
epochs = 3
lr = 3e-3
knowledge = "runs/kge"
knowledge_control = "shuffled"
max_entities_per_mention = 2
embed_model = "distmult"
embed_dim = 32
embed_negatives = 8
embed_sampling = "uniform"

[channel]
concept_dim = 24
"""

#: Every field of the flat TrainConfig before it had parts (older TOML files and runs' config.json).
OLD_FLAT_FIELDS = (
    "dataset knowledge baseline knowledge_control init reg_weight neighbour_weight projection joint joint_weight "
    "joint_batch max_entities_per_token max_entities_per_mention seeds seed device epochs batch_size lr weight_decay "
    "clip patience monitor class_weight lr_schedule warmup embedding_dim hidden layers dropout embedding_dropout "
    "init_std pooling ngrams max_len truncate min_freq max_vocab lowercase train_fraction max_train max_valid max_test "
    "valid_fraction text_column label_column extra_train embed_model embed_dim embed_epochs embed_batch_size "
    "embed_negatives embed_sampling threads channel linking").split()


def test_nested_tables_reach_their_parts(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(NESTED, encoding="utf-8")
    config = resolve_config(path, {})
    assert (config.data.dataset, config.data.max_train, config.data.test_fraction) == ("reviews.csv", 400, 0.3)
    assert (config.model.hidden, config.model.pooling, config.optim.epochs, config.optim.lr) == (32, "max", 3, 3e-3)
    assert (config.knowledge.source, config.kind, config.knowledge.max_entities_per_mention) == \
        ("runs/kge", "shuffled", 2)
    kge = config.kge_config()
    assert (kge.model, kge.dim, kge.num_negatives, kge.negatives, kge.device, kge.eval_every) == \
        ("distmult", 32, 8, "uniform", "cpu", config.embed.epochs)
    assert config.channel.concept_dim == 24 and config.seeds == 2
    assert config.data.loader_options()["test_fraction"] == 0.3
    assert config.optim.settings(seed=5, channel_lr_scale=2.0).epochs == 3


def test_a_flat_file_loads_equal_to_the_nested_one(tmp_path):
    nested, flat = tmp_path / "nested.toml", tmp_path / "flat.toml"
    nested.write_text(NESTED, encoding="utf-8")
    flat.write_text(FLAT, encoding="utf-8")
    assert resolve_config(flat, {}) == resolve_config(nested, {}) != TrainConfig()
    config = resolve_config(nested, {})
    assert TrainConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config  # config.json round trip


def test_every_old_flat_field_has_a_place_and_every_part_field_a_flat_name():
    assert all(name in FLAT_KEYS or name in TOP_LEVEL or name in PARTS for name in OLD_FLAT_FIELDS)
    targets = list(FLAT_KEYS.values())
    assert len(targets) == len(set(targets)) == sum(len(part.__dataclass_fields__) for part in PARTS.values())
    assert FLAT_KEYS["epochs"] == ("optim", "epochs") and FLAT_KEYS["embed_negatives"] == ("embed", "num_negatives")
    assert FLAT_KEYS["channel_concept_dim"] == ("channel", "concept_dim")


@pytest.mark.parametrize("text, expected", [
    ("epoch = 3\n", "c.toml: unknown config key(s): epoch (did you mean optim.epochs?)"),
    ("[optim]\nlrate = 0.1\n", "c.toml: unknown config key(s): optim.lrate"),
    ("model = 'transe'\n", "model (must be a [model] table)"),
    ("[embed]\nembed_dim = 8\n", "embed.embed_dim (did you mean embed.dim?)"),
    ("epochs = 3\n[optim]\nepochs = 4\n", "c.toml: epochs is given twice, flat and as optim.epochs"),
])
def test_unknown_or_doubled_keys_name_the_key_and_the_file(tmp_path, text, expected):
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        resolve_config(path, {})
    assert expected in str(err.value) and "\n" not in str(err.value)
    if "unknown" in expected:
        assert "[optim] epochs, batch_size" in err.value.hint


def test_command_line_options_override_the_file_inside_each_part(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(NESTED, encoding="utf-8")
    config = resolve_config(path, {"epochs": 1, "hidden": None, "knowledge": "runs/other", "embed_dim": 8,
                                   "channel_concept_dim": 4, "knowledge_control": None, "test_fraction": 0.5})
    assert (config.optim.epochs, config.optim.lr) == (1, 3e-3)  # the option, and the file beside it
    assert (config.model.hidden, config.knowledge.source, config.knowledge.control) == (32, "runs/other", "shuffled")
    assert (config.embed.dim, config.embed.model, config.channel.concept_dim, config.data.test_fraction) == \
        (8, "distmult", 4, 0.5)
    # a setting that is only valid with another option given on the command line
    path.write_text("[knowledge]\njoint = true\nsource = 'kge'\n", encoding="utf-8")
    assert resolve_config(path, {"reg_weight": 0.1}).knowledge.joint
    with pytest.raises(ConfigError, match="--joint needs --reg-weight"):
        resolve_config(path, {})


def test_replace_takes_flat_names_and_parts():
    config = TrainConfig().replace(epochs=2, dataset="x.csv", knowledge="kge", embed_sampling="uniform", seed=3)
    assert (config.optim.epochs, config.data.dataset, config.knowledge.source, config.embed.negatives,
            config.seed) == (2, "x.csv", "kge", "uniform", 3)
    again = config.replace(optim={"lr": 0.1}, baseline=True)
    assert (again.optim.epochs, again.optim.lr, again.kind, config.kind) == (2, 0.1, "baseline", "knowledge")
    with pytest.raises(ConfigError, match="overrides: unknown config key"):
        config.replace(epoch=2)


@pytest.mark.parametrize("change, message", [
    ({"test_fraction": 1.0}, "data.test_fraction must be in (0, 1)"),
    ({"dropout": 1.0}, "model.dropout must be in [0, 1)"),
    ({"patience": 0}, "patience must be at least 1"),
    ({"embed_model": "transx"}, "unknown model 'transx'"),
    ({"knowledge_control": "shuffled"}, "--knowledge-control shuffled needs --knowledge"),
    ({"threads": 0}, "threads must be at least 1"),
])
def test_each_part_validates_its_own_values(change, message):
    with pytest.raises(ConfigError) as err:
        TrainConfig().replace(**change)
    assert message in str(err.value)


def test_test_fraction_reaches_the_dataset_loader(tmp_path):
    from pipelines.train import load_data

    data = write_sentiment_csv(tmp_path / "d.csv", {"pos": ["good"], "neg": ["bad"]}, 100)
    dataset = load_data(TrainConfig().replace(dataset=str(data), test_fraction=0.5, valid_fraction=0.0))
    assert (len(dataset.test), len(dataset.train)) == (50, 50)


@pytest.mark.slow
@pytest.mark.usefixtures("one_torch_thread")
def test_a_run_saved_with_flat_settings_still_evaluates_and_reports(runner, tmp_path):
    data = write_sentiment_csv(tmp_path / "d.csv", {"pos": ["good", "great"], "neg": ["bad", "awful"]}, 80)
    config_file = tmp_path / "c.toml"
    config_file.write_text(f'[data]\ndataset = "{data}"\nmin_freq = 1\n[model]\nembedding_dim = 8\nhidden = 8\n'
                           '[optim]\nepochs = 3\nbatch_size = 16\n', encoding="utf-8")
    out = tmp_path / "run"
    res = runner.invoke(cli, ["train", "--config", str(config_file), "--epochs", "1", "--device", "cpu",
                              "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    saved = json.loads((out / "config.json").read_text())
    assert saved["train"]["optim"]["epochs"] == 1 and saved["train"]["data"]["min_freq"] == 1
    # the config.json of a run trained before the parts: every setting at the top level
    inverse = {target: name for name, target in FLAT_KEYS.items()}
    flat = {k: v for k, v in saved["train"].items() if k in TOP_LEVEL}
    for part in ("data", "model", "optim", "knowledge", "embed"):
        flat.update({inverse[(part, name)]: value for name, value in saved["train"][part].items()})
    flat.update(channel=saved["train"]["channel"], linking=saved["train"]["linking"])
    (out / "config.json").write_text(json.dumps({**saved, "train": flat}), encoding="utf-8")
    res = runner.invoke(cli, ["evaluate", str(out), "--json"])
    assert res.exit_code == 0, res.output
    report = tmp_path / "report"
    res = runner.invoke(cli, ["report", str(out), "--out", str(report)])
    assert res.exit_code == 0, res.output
    assert "| d | 100% |" in (report / "report.md").read_text(encoding="utf-8")


def test_the_wide_part_is_fitted_first_unless_asked_to_train_jointly(tmp_path):
    from click.testing import CliRunner

    from cli import cli

    assert TrainConfig().optim.wide_first and TrainConfig().optim.settings(seed=0).wide_first
    assert resolve_config(None, {"wide_first": False}).optim.settings(seed=0).wide_first is False
    path = tmp_path / "c.toml"
    path.write_text("[optim]\nwide_first = false\n", encoding="utf-8")
    assert resolve_config(path, {}).optim.wide_first is False
    result = CliRunner().invoke(cli, ["train", "--help"])
    assert "--wide-first / --joint-wide" in result.output


ROOT = Path(__file__).resolve().parents[1]
#: The shipped training configurations that read the sentiment knowledge (opinion lexicon + WordNet).
SENTIMENT_CONFIGS = ["pipelines/quickstart.toml", "examples/mr.toml", "examples/imdb_full.toml"]


@pytest.mark.parametrize("name", [*SENTIMENT_CONFIGS, "examples/ohsumed.toml"])
def test_every_shipped_training_configuration_loads(name):
    config = resolve_config(ROOT / name, {})
    assert config.channel.enabled and config.data.dataset


@pytest.mark.parametrize("grid", ["cpu", "full"])
def test_every_cell_of_the_shipped_study_grids_builds_its_configuration(grid, tmp_path):
    """Every cell's settings are valid; the datasets with the sentiment knowledge (all but Ohsumed,
    which reads MeSH's deep tree) have its hierarchy."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from bench.knowledge_lift import ARMS, Grid

    loaded = Grid.load(grid)
    for dataset in loaded.datasets:
        for fraction in loaded.fractions:
            for arm in ARMS:
                config = loaded.train_config(dataset, fraction, arm, tmp_path, "cpu", 1)
                assert (config.channel.ancestor_depth == 3) is (dataset != "ohsumed"), (grid, dataset)


def test_the_sentiment_hierarchy_leads_a_derived_word_to_its_polarity_and_stops_long_chains():
    """With the shipped sentiment settings, WordNet's "beauty" reaches Positive through its derivational
    link to "beautiful"; an icosahedron no longer reaches the lexicon's "solid" through four hypernyms."""
    from model.knowledge.hierarchy import ConceptHierarchy

    skos, wn = "http://www.w3.org/2004/02/skos/core#", "https://w3id.org/kgft/kg/wn18rr/relation/"
    # 1 Positive, 2 lexicon "beautiful", 3 wn beautiful.a.01, 4 wn beauty.n.01,
    # 5 lexicon "solid", 6 wn solid.n.01, 7 polyhedron, 8 regular_polyhedron, 9 icosahedron
    edges = [(2, skos + "broader", 1), (5, skos + "broader", 1), (3, skos + "closeMatch", 2),
             (4, wn + "derivationally_related_form", 3), (6, skos + "closeMatch", 5),
             (9, wn + "hypernym", 8), (8, wn + "hypernym", 7), (7, wn + "hypernym", 6)]
    for name in SENTIMENT_CONFIGS:
        channel = resolve_config(ROOT / name, {}).channel
        hierarchy = ConceptHierarchy.from_edges(edges, channel.ancestor_depth, channel.hierarchy_predicates)
        assert 1 in dict(hierarchy.closure(4)), name
        assert 1 not in dict(hierarchy.closure(9)), name
    defaults = ConceptHierarchy.from_edges(edges, ChannelOptions().ancestor_depth)
    assert 1 not in dict(defaults.closure(4)) and 1 in dict(defaults.closure(9))
