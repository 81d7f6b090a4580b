"""Text pipeline: tokenizer, vocabulary and labelled datasets (no torchtext)."""

from model.text.datasets import BUILTIN, Example, TextDataset, load_dataset
from model.text.tokenizer import NUM_TOKEN, Tokenizer
from model.text.vocab import DEFAULT_SPECIALS, ENT, PAD, UNK, Vocab

__all__ = [
    "BUILTIN",
    "DEFAULT_SPECIALS",
    "ENT",
    "Example",
    "NUM_TOKEN",
    "PAD",
    "TextDataset",
    "Tokenizer",
    "UNK",
    "Vocab",
    "load_dataset",
]
