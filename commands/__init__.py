"""The ``kgft`` commands, one module per command group (the root group and ``main`` are in cli.py).

Each module holds thin click commands: they parse options, call a pipeline or
library function and print. Heavy libraries are imported inside the commands
so that ``kgft --help`` stays instant.
"""
