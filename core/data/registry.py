"""The registry of real datasets and ontologies kgft knows how to fetch.

Every file has a path relative to a mirror laid out like kgft's own cache
(``imdb/aclImdb.tar.gz``, ``mr/mr.txt``, ...), the SHA-256 of the file kgft
uses, and where it comes from upstream.

Checksums: ``sha256`` is the known-good checksum of the file as the offline
mirror (``KGFT_DATA_MIRROR``) holds it. Where the mirror holds a *repack* of
the upstream file, the registry says so (``repack``): for IMDB the upstream
original ``aclImdb_v1.tar.gz`` is a different file whose checksum is also
pinned (``upstream_sha256``, the one published by scikit-learn and other
loaders), so both a mirror copy and a real download are verified. Where no
upstream checksum is known (files kgft takes out of an upstream archive, or
the Ohsumed folder that only exists as a directory upstream), the mirror
checksum is the only one and a mismatch message says why it may differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.errors import DataError

_VILLMOW = "https://raw.githubusercontent.com/villmow/datasets_knowledge_embedding/master"
_TEXT_GCN = "https://raw.githubusercontent.com/yao8839836/text_gcn/master"


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset.

    Args:
        path (str): Path relative to the mirror and to the cache directory.
        sha256 (str): SHA-256 of the file as kgft uses it (the mirror's copy).
        size (int): Size in bytes of that file.
        url (str, optional): Where to download it; ``None`` when upstream has
            no single-file download (then only a mirror can provide it).
            (default: ``None``)
        member (str, optional): When ``url`` is an archive, the member that is
            this file. (default: ``None``)
        upstream_sha256 (str, optional): Checksum of the upstream original
            when the mirror holds a repack of it. (default: ``None``)
        upstream_size (int, optional): Size of the upstream original. (default: ``None``)
        repack (str, optional): How the mirror's copy differs from upstream.
            (default: ``None``)
        extract (bool): Whether the file is an archive to unpack. (default: ``False``)
        root (str, optional): The top-level directory the archive unpacks to.
            (default: ``None``)
        exclude (tuple[str, ...]): ``fnmatch`` patterns of archive members not
            to unpack (parts of the upstream archive kgft does not use).
            (default: ``()``)
    """

    path: str
    sha256: str
    size: int
    url: str | None = None
    member: str | None = None
    upstream_sha256: str | None = None
    upstream_size: int | None = None
    repack: str | None = None
    extract: bool = False
    root: str | None = None
    exclude: tuple[str, ...] = ()

    def known_checksums(self) -> dict[str, str]:
        """Every accepted SHA-256, keyed by a short description of the variant."""
        sums = {self.sha256: "kgft mirror repack" if self.repack else "registry"}
        if self.upstream_sha256:
            sums[self.upstream_sha256] = "upstream original"
        return sums


@dataclass(frozen=True)
class Dataset:
    """A named dataset or ontology.

    Args:
        name (str): Registry name (``kgft data fetch NAME``).
        description (str): One line for ``kgft data list``.
        files (tuple[DataFile, ...]): Its files.
        homepage (str): Where it is described upstream.
        license (str): Licence or terms of use.
        citation (str): What to cite. (default: ``""``)
        tags (tuple[str, ...]): Kind of data: ``text``, ``ontology`` or ``kg``. (default: ``()``)
    """

    name: str
    description: str
    files: tuple[DataFile, ...]
    homepage: str
    license: str
    citation: str = ""
    tags: tuple[str, ...] = field(default=())

    @property
    def size(self) -> int:
        """Total bytes of the files as the mirror holds them."""
        return sum(f.size for f in self.files)


def _kge(name: str, mirror_dir: str, base_url: str, description: str, sums: dict) -> Dataset:
    """A knowledge-graph benchmark with train/valid/test triple files."""
    files = tuple(
        DataFile(path=f"{mirror_dir}/{split}.txt", sha256=sha, size=size, url=f"{base_url}/{split}.txt")
        for split, (sha, size) in sums.items()
    )
    return Dataset(
        name,
        description,
        files,
        "https://github.com/villmow/datasets_knowledge_embedding",
        "MIT (villmow/datasets_knowledge_embedding)",
        tags=("kg",),
    )


#: The small KGE benchmarks (UMLS, Kinship, Nations): title and (SHA-256, size) per split.
_KGE_SMALL = {
    "umls": ("UMLS", {
        "train": ("30202640f8b26be8ba2323361ec8831e9e6882396138ae5ca3bef326e7fb6ded", 260012),
        "valid": ("4cba113f49a7ae9bd1e43f659649b03486ac66642168f67b41e434d9e133f92d", 32962),
        "test": ("3d9e6e8722cfbb7b3eb8aa5b77eff3eeda1d86d3b968fe0a0b95c641e1c9c6e4", 32967),
    }),
    "kinship": ("Kinship", {
        "train": ("ef89f322b30dc328f6d87c72cff4ac8a4a1a2126929f85c31a4486632e73c875", 208822),
        "valid": ("65a2ca576c21282a399735dc1c44eb9349d34fa5621d9a1a6fec35c8709726fc", 26140),
        "test": ("f6f8440d98758afcdeaf60ad1017fb146daf2a606b0878cf3fc9a94188e3b3ff", 26091),
    }),
    "nations": ("Nations", {
        "train": ("b923bd0e8393b7cad275ee567b5570886f9ff12426e0b3e84e2af17523281b47", 39502),
        "valid": ("f3c4bf2a02d29a42fad53a6f91e24100d3d6762b4e0f428999b3267e7526f700", 4908),
        "test": ("e3c3383b3fc0177b88df073f0680ba6b36f16e4dba87326b64b8821b1c928415", 5142),
    }),
}


DATASETS: dict[str, Dataset] = {
    "imdb": Dataset(
        "imdb",
        "Large Movie Review Dataset (IMDB sentiment): 25,000 train / 25,000 test reviews",
        (
            DataFile(
                path="imdb/aclImdb.tar.gz",
                sha256="8d5aafcd445c4e2cd455fce332d94e770eb5feafd8196705687fed738a1a6a06",
                size=28396036,
                url="https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
                upstream_sha256="c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe",
                upstream_size=84125825,
                repack="the mirror's aclImdb.tar.gz is aclImdb_v1.tar.gz repacked without the "
                "unlabeled train/unsup reviews and the .feat files; a download gets the original",
                extract=True,
                root="aclImdb",
                exclude=("aclImdb/train/unsup/*", "aclImdb/train/unsup", "*.feat", "*/urls_unsup.txt"),
            ),
        ),
        "https://ai.stanford.edu/~amaas/data/sentiment/",
        "research use",
        "Maas et al., Learning Word Vectors for Sentiment Analysis, ACL 2011",
        tags=("text",),
    ),
    "mr": Dataset(
        "mr",
        "Movie Review sentence polarity (Pang & Lee 2005) with the TextGCN split: 7,108 train / 3,554 test",
        (
            DataFile(
                path="mr/mr.txt",
                sha256="2ce386f81c1ebd45fd2c0d2a41e8702e78f2dbeeb88fc8f3cff680211f303689",
                size=1249120,
                url=f"{_TEXT_GCN}/data/corpus/mr.txt",
            ),
            DataFile(
                path="mr/mr_split.txt",
                sha256="184c1b3b7f9695174fcf949738a661ba9d798b0e500721d0644daab4d095e134",
                size=134603,
                url=f"{_TEXT_GCN}/data/mr.txt",
            ),
        ),
        "https://www.cs.cornell.edu/people/pabo/movie-review-data/",
        "research use (data); MIT (TextGCN split)",
        "Pang & Lee, ACL 2005; Yao et al., Graph Convolutional Networks for Text Classification, AAAI 2019",
        tags=("text",),
    ),
    "ohsumed": Dataset(
        "ohsumed",
        "Ohsumed single-label, 23 MeSH disease categories (TextGCN split): 3,357 train / 4,043 test",
        (
            DataFile(
                path="ohsumed/ohsumed_single_23.tar.gz",
                sha256="56c3daab87dab74e2efc753ff91104ebd0a0c3ff85fd1a4dbd261832e37b1ab0",
                size=3428427,
                url=None,
                repack="upstream it is the folder data/ohsumed_single_23 of github.com/yao8839836/text_gcn "
                "(no single-file download); the mirror holds a tarball of that folder",
                extract=True,
                root="ohsumed_single_23",
            ),
        ),
        "https://github.com/yao8839836/text_gcn/tree/master/data/ohsumed_single_23",
        "research use",
        "Hersh et al., OHSUMED, SIGIR 1994; Yao et al., AAAI 2019",
        tags=("text",),
    ),
    "mesh-2017": Dataset(
        "mesh-2017",
        "MeSH 2017 tree (Tree Number, Desc Ui, Term): 57,840 tree positions, 28,470 descriptors",
        (
            DataFile(
                path="mesh/2017MeshTree.txt",
                sha256="d317c96904dfdbc69d2523ff8ac299842332b23eb75f9a3279ef38cc642d8c29",
                size=2814069,
                url="https://www.nlm.nih.gov/mesh/2017/download/2017MeshTree.txt",
            ),
        ),
        "https://www.nlm.nih.gov/mesh/",
        "NLM MeSH terms and conditions: free use with attribution",
        "U.S. National Library of Medicine, Medical Subject Headings 2017",
        tags=("ontology",),
    ),
    "opinion-lexicon": Dataset(
        "opinion-lexicon",
        "Hu & Liu opinion lexicon: 2,006 positive and 4,783 negative words",
        tuple(
            DataFile(
                path=f"opinion-lexicon/{kind}-words.txt",
                sha256=sha,
                size=size,
                url="https://raw.githubusercontent.com/nltk/nltk_data/gh-pages/packages/corpora/opinion_lexicon.zip",
                member=f"opinion_lexicon/{kind}-words.txt",
                repack="the authors ship a RAR archive (opinion-lexicon-English.rar) that kgft cannot unpack; "
                "kgft downloads NLTK's zip of the same two files and verifies each against the mirror's "
                "checksum, so a differing NLTK copy is reported, never used",
            )
            for kind, sha, size in (
                ("positive", "ceef141f1d77a5b49cb2a5b6ded3c5091e1a66f80bb170e8b06dc870af958961", 22415),
                ("negative", "9784cf1275318d7156cc3c15c117394754bbd7f9311dd910486f4fdaa9f135f3", 50857),
            )
        ),
        "https://www.cs.uic.edu/~liub/FBS/sentiment-analysis.html",
        "free for research; cite the authors",
        "Hu & Liu, Mining and Summarizing Customer Reviews, KDD 2004",
        tags=("ontology",),
    ),
    "wn18rr": _kge(
        "wn18rr",
        "wn18rr",
        f"{_VILLMOW}/WN18RR/text",
        "WN18RR (Dettmers et al. 2018): WordNet triples, 86,835 / 3,034 / 3,134, 40,943 entities, 11 relations",
        {
            "train": ("a35aca3c963b71b8efa935c172bf07afe4472655552a0ad8d3b396b4154f1f29", 4091114),
            "valid": ("2c71419fcd86a1720020a8709ab3e8bbb6e0d097a8abce41135fe4c43fec5f84", 143548),
            "test": ("80cfa61fe62ba084f58de42d8d0b384dc8b76bcd2ef7065b1a292a1e72b44c33", 147707),
        },
    ),
    **{
        name: _kge(name, f"kge-small/{name}", f"{_VILLMOW}/other/{name}",
                   f"{title} small KGE benchmark (head, relation, tail triples)", sums)
        for name, (title, sums) in _KGE_SMALL.items()
    },
    "pizza": Dataset(
        "pizza",
        "The Manchester Pizza ontology (OWL 2, RDF/XML)",
        (
            DataFile(
                path="owl/pizza.owl",
                sha256="0de2cd4df0bc09dfd9403df46ae7aa9d26ec31c32cc9a59c514f459c312a751c",
                size=241414,
                url="https://raw.githubusercontent.com/owlcs/pizza-ontology/master/pizza.owl",
            ),
        ),
        "https://github.com/owlcs/pizza-ontology",
        "CC-BY 4.0",
        tags=("ontology",),
    ),
}


def dataset_names() -> list[str]:
    """The registry's dataset names, sorted."""
    return sorted(DATASETS)


def get_dataset(name: str) -> Dataset:
    """Look up a dataset by name.

    Args:
        name (str): Registry name (case-insensitive).

    Returns:
        Dataset: The registry entry.

    Raises:
        DataError: unknown name; the message lists the choices.
    """
    key = name.strip().lower()
    if key not in DATASETS:
        raise DataError(
            f"unknown dataset {name!r}; choices: {', '.join(dataset_names())}",
            hint="see `kgft data list`",
        )
    return DATASETS[key]
