"""``kgft train`` and ``kgft quickstart``: fine-tune the classifier, and the main job."""

from __future__ import annotations

import os

import click

from commands.options import quiet_option, tracker_option, train_summary_line


@click.command("train")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="TOML file of training settings: tables [data], [model], [optim], [knowledge], [embed], "
                   "[linking], [channel] (older flat files, keys as the long options, still load).")
@click.option("--dataset", default=None, help="imdb, mr, ohsumed, or a CSV/TSV/JSONL file or dataset directory.")
@click.option("--knowledge", default=None,
              help="Embedding run (kgft embed --out) or embedded store (embedded first with a short KGE run).")
@click.option("--baseline", is_flag=True, default=None, help="Train without knowledge (the control run).")
@click.option("--knowledge-control", type=click.Choice(["none", "shuffled"]), default=None,
              help="'shuffled': the same entity vectors permuted across entities (seeded).")
@click.option("--init/--no-init", default=None,
              help="Ablation: also initialize linked tokens' embeddings from entity vectors (default off).")
@click.option("--reg-weight", type=float, default=None,
              help="Ablation: weight of the token-level graph regularizer (default 0, off).")
@click.option("--joint", is_flag=True, default=None, help="Also train the KGE model with its own loss.")
@click.option("--projection", type=click.Choice(["fixed", "learned"]), default=None,
              help="Entity-to-token projection: fixed random orthogonal or learned.")
@click.option("--seeds", type=int, default=None, help="Independent runs; metrics report mean and std.")
@click.option("--seed", type=int, default=None, help="First seed (default 0).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None, help="Training device.")
@click.option("--epochs", type=int, default=None, help="Maximum epochs (early stopping on validation).")
@click.option("--batch-size", type=int, default=None, help="Examples per step.")
@click.option("--lr", type=float, default=None, help="AdamW learning rate.")
@click.option("--max-len", type=int, default=None, help="Tokens kept per text.")
@click.option("--truncate", type=click.Choice(["head", "tail"]), default=None,
              help="Keep the first (head, default) or last (tail) --max-len tokens of longer texts.")
@click.option("--embedding-dim", type=int, default=None, help="Token embedding size.")
@click.option("--hidden", type=int, default=None, help="LSTM hidden size per direction.")
@click.option("--pooling", type=click.Choice(["last", "max", "mean"]), default=None,
              help="Document vector: final LSTM states (default), or max/mean over its outputs.")
@click.option("--ngrams", type=click.IntRange(0, 2), default=None,
              help="Linear n-gram head beside the BiLSTM: 0 none, 1 unigrams, 2 unigrams and bigrams.")
@click.option("--ngram-weighting", type=click.Choice(["tfidf", "nb"]), default=None,
              help="The n-gram head's features: TF-IDF, or presence scaled by naive-Bayes log-count ratios.")
@click.option("--wide-first/--joint-wide", "wide_first", default=None,
              help="Fit the n-gram head and the knowledge bag first as a regularized logistic regression, "
                   "then train the BiLSTM beside it (default), or train them jointly with the BiLSTM.")
@click.option("--class-weight", type=click.Choice(["none", "balanced"]), default=None,
              help="balanced: weigh rare classes up in the loss (default none).")
@click.option("--lr-schedule", type=click.Choice(["cosine", "constant"]), default=None,
              help="cosine (warm-up then decay, default) or constant learning rate.")
@click.option("--embedding-dropout", type=float, default=None, help="Dropout on the BiLSTM's input vectors.")
@click.option("--channel/--no-channel", "channel_enabled", default=None,
              help="The knowledge channel: concepts and their ancestors beside each word, a bag of ancestors "
                   "beside the head (default on for knowledge runs).")
@click.option("--concept-dim", "channel_concept_dim", type=int, default=None, help="Concept vector size.")
@click.option("--ancestor-depth", "channel_ancestor_depth", type=int, default=None,
              help="Parent hops followed from a linked concept.")
@click.option("--vote", "channel_vote", type=float, default=None,
              help="Initial weight from each class's concept to its class (0: none).")
@click.option("--channel-reg", "channel_reg", type=float, default=None,
              help="Weight of the pull of concept vectors toward the graph's.")
@click.option("--channel-lr-scale", "channel_lr_scale", type=float, default=None,
              help="Learning-rate multiplier of the channel's concept vectors and bag weights.")
@click.option("--channel-init", "channel_init", type=click.Choice(["graph", "random"]), default=None,
              help="Concept vectors from the graph embedding (default) or random (ablation).")
@click.option("--class-map", "channel_class_map", type=click.Path(dir_okay=False, exists=True, path_type=str),
              default=None, help="Class-to-concept map (TOML/JSON); default the one shipped for the dataset.")
@click.option("--max-entity-share", "linking_max_entity_share", type=float, default=None,
              help="Drop entities linked in more than this share of training texts (generic concepts).")
@click.option("--text-column", default=None, help="Text column of a CSV/TSV/JSONL dataset (default 'text').")
@click.option("--label-column", default=None, help="Label column of a CSV/TSV/JSONL dataset (default 'label').")
@click.option("--train-fraction", type=float, default=None, help="Share of the training split to use.")
@click.option("--max-train", type=int, default=None, help="Cap on training examples.")
@click.option("--max-test", type=int, default=None, help="Cap on test examples.")
@click.option("--test-fraction", type=float, default=None,
              help="Share held out as test when a single file has no split column (default 0.2).")
@click.option("--extra-train", multiple=True, type=click.Path(dir_okay=False, path_type=str),
              callback=lambda _ctx, _param, value: value or None,
              help="CSV/TSV/JSONL of labelled rows added to the training split after subsampling "
                   "(repeatable; labels must be the dataset's).")
@click.option("--threads", type=int, default=None, help="CPU threads for torch.")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=str), required=True,
              help="Run directory to create (or continue with --resume).")
@click.option("--resume", is_flag=True, help="Continue the interrupted run in --out with its saved settings.")
@tracker_option
@quiet_option
def train_cmd(config_file, out, resume, tracker, **options) -> None:
    """Fine-tune the BiLSTM classifier, with or without knowledge from the graph.

    Writes config, vocabulary, checkpoints (every epoch), metrics.json and PNG
    curves into --out. Ctrl-C saves a checkpoint; --resume continues it.
    """
    from pathlib import Path

    from pipelines.tracking import epoch_logger, log_finished_run, make_tracker
    from pipelines.train import train
    from pipelines.train_config import resolve_config

    config = resolve_config(config_file, options)
    tracking = make_tracker(tracker, out)
    try:
        result = train(config, Path(out), resume=resume, on_epoch_end=epoch_logger(tracking, config.seed))
        log_finished_run(tracking, result.config, result.metrics, result.run_dir)
    except KeyboardInterrupt:
        raise click.ClickException(f"interrupted: a checkpoint was saved; continue with "
                                   f"`kgft train --out {out} --resume`") from None
    finally:
        tracking.close()
    if os.environ.get("RANK", "0") == "0":  # under torchrun only rank 0 reports
        click.echo(f"{result.config['kind']} run in {out}: {train_summary_line(result.metrics)}")


@click.command("quickstart")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=str), default="runs/main", show_default=True,
              help="Work directory: store, embedding run, baseline and knowledge runs.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, exists=True, path_type=str), default=None,
              help="Training TOML (default: the shipped pipelines/quickstart.toml).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None, help="Training device.")
@click.option("--max-train", type=int, default=None, help="Cap on training reviews.")
@click.option("--epochs", type=int, default=None, help="Maximum epochs.")
@quiet_option
def quickstart_cmd(out, config_file, device, max_train, epochs) -> None:
    """The main job: IMDB with the opinion lexicon + WordNet vs the baseline.

    Fetches the data, converts and imports both ontologies into an embedded
    store, embeds it, trains the baseline and the KG-augmented classifier and
    prints their test accuracy side by side. Reruns reuse finished steps.
    """
    from pipelines.quickstart import quickstart

    result = quickstart(out, config_file, {"device": device, "max_train": max_train, "epochs": epochs})
    click.echo(result.table())
