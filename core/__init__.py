"""Shared foundations of every layer: the error family, files, progress bars, validation, data mirror.

Nothing here imports ``kg``, ``model`` or ``pipelines``, so each layer can use it
without depending on the graph layer.
"""
