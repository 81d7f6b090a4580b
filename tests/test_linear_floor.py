"""The study's linear floor (bench/linear_floor.py): the warm-started C grid picks what fresh fits pick."""

import numpy as np
import pytest
from scipy.sparse import csr_matrix



def test_the_warm_started_c_grid_chooses_and_scores_as_fresh_fits_do():
    from sklearn.linear_model import LogisticRegression

    from bench.linear_floor import C_GRID, _fit

    rng = np.random.default_rng(0)
    w = rng.normal(size=(40, 3))
    x = {s: csr_matrix(rng.random((n, 40)) * (rng.random((n, 40)) < 0.2)) for s, n in
         (("train", 300), ("valid", 200), ("test", 200))}
    y = {s: list((x[s] @ w + rng.normal(scale=0.5, size=(x[s].shape[0], 3))).argmax(1)) for s in x}
    fresh = [(LogisticRegression(C=c, max_iter=2000).fit(x["train"], y["train"]), c) for c in C_GRID]
    valid = [m.score(x["valid"], y["valid"]) for m, _ in fresh]
    best = int(np.argmax(valid))  # the first of equal scores, as _fit keeps it
    got = _fit(x, y)
    assert got["C"] == fresh[best][1] and got["valid"] == pytest.approx(valid[best])
    assert got["test"] == pytest.approx(fresh[best][0].score(x["test"], y["test"]), abs=1 / 200)
    assert len(set(valid)) > 1  # the grid's choice matters on these data
    assert _fit(x, y, c_grid=(C_GRID[best],)) == got  # a grid of the chosen C alone: the same fit
    wider = _fit(x, y, c_grid=(*C_GRID, 64.0, 256.0))
    assert wider["C"] in (*C_GRID, 64.0, 256.0) and wider["valid"] >= got["valid"]


def test_every_seed_of_the_floor_reads_the_held_out_splits_of_its_configuration(monkeypatch):
    import pipelines.train as train
    from bench.linear_floor import floor
    from pipelines.train_config import TrainConfig

    class Stop(Exception):
        pass

    seen = []

    def loaded(config):
        seen.append((config.seed, config.data.split_seed))
        raise Stop

    monkeypatch.setattr(train, "load_data", loaded)
    for config, seed in ((TrainConfig().replace(dataset="mr", seed=0), 2),
                         (TrainConfig().replace(dataset="mr", seed=0, split_seed=5), 1)):
        with pytest.raises(Stop):
            floor(config, seed)
    assert seen == [(2, 0), (1, 5)]  # the seed draws the subsample; validation and test stay the run's


@pytest.fixture(scope="module")
def toy_floor_config(tmp_path_factory):
    from pipelines.train_config import TrainConfig
    from tests.test_channel_cli import CUES, ONTOLOGY
    from tests.toy_data import import_store, write_sentiment_csv

    root = tmp_path_factory.mktemp("floor")
    store = import_store(root, ONTOLOGY)
    data = write_sentiment_csv(root / "reviews.csv", CUES, 160)
    return TrainConfig().replace(dataset=str(data), knowledge=str(store), device="cpu")


@pytest.mark.parametrize("subsample", [False, True])
def test_seeds_on_the_same_texts_fit_the_seed_free_arms_once_with_the_same_results(toy_floor_config, subsample,
                                                                                    monkeypatch):
    import bench.linear_floor as linear_floor

    config = toy_floor_config.replace(train_fraction=0.5) if subsample else toy_floor_config
    alone = [linear_floor.floor(config, seed) for seed in range(3)]  # each seed from scratch
    fits = []
    fit = linear_floor._fit
    monkeypatch.setattr(linear_floor, "_fit", lambda *a, **k: fits.append("graph" if len(a) > 2 else "words")
                        or fit(*a, **k))
    assert linear_floor.floors(config, range(3)) == alone
    # a whole split: tfidf and tfidf+graph once, the shuffled arm per seed; a subsample: all three per seed
    assert fits == (["words", "graph", "graph"] * 3 if subsample else ["words"] + ["graph"] * 4)
