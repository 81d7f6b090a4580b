"""Downloading one URL to a file with a progress bar (urllib, no extra deps)."""

from __future__ import annotations

import logging
import os
import urllib.error
import urllib.request
from pathlib import Path

from core.errors import DataError
from core.progress import progress

log = logging.getLogger(__name__)

_CHUNK = 1 << 16
USER_AGENT = "kgft-data-fetch (Python urllib)"


def download(url: str, dest: str | os.PathLike, *, what: str, timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` (written to ``dest.part`` then renamed).

    Args:
        url (str): http(s) or file URL.
        dest (str or PathLike): Target file.
        what (str): Name of the dataset file, for messages.
        timeout (float): Socket timeout in seconds. (default: ``60.0``)

    Returns:
        Path: ``dest``.

    Raises:
        DataError: the download failed (offline, HTTP error, ...); the message
            suggests an offline mirror.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    log.info("downloading %s from %s", what, url)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, open(part, "wb") as out:
            total = response.headers.get("Content-Length")
            bar = progress(
                total=int(total) if total and total.isdigit() else None,
                desc=f"download {what}",
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
            )
            try:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    bar.update(len(chunk))
            finally:
                bar.close()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        part.unlink(missing_ok=True)
        reason = getattr(exc, "reason", None) or exc
        raise DataError(
            f"cannot download {what} from {url}: {reason}",
            hint="check the network, or set KGFT_DATA_MIRROR to an offline mirror of the data",
        ) from None
    os.replace(part, dest)
    return dest
