"""Dataset registry, fetching (mirror or download), checksums and safe extraction."""

from kg.data.checksum import sha256_file
from kg.data.extract import safe_extract
from kg.data.fetch import FetchedDataset, cache_state, fetch
from kg.data.registry import DATASETS, DataFile, Dataset, dataset_names, get_dataset

__all__ = [
    "DATASETS",
    "DataFile",
    "Dataset",
    "FetchedDataset",
    "cache_state",
    "dataset_names",
    "fetch",
    "get_dataset",
    "safe_extract",
    "sha256_file",
]
