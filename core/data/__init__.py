"""Dataset registry, fetching (mirror or download), checksums and safe extraction."""

from core.data.checksum import sha256_file
from core.data.extract import safe_extract
from core.data.fetch import FetchedDataset, cache_state, fetch
from core.data.registry import DATASETS, DataFile, Dataset, dataset_names, get_dataset

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
