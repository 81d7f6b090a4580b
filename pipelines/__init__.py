"""kgft workflows: thin orchestrators that return results saving themselves to run directories.

The Python API (the same workflows as the ``kgft`` command) is re-exported
from :mod:`pipelines.api`.
"""
