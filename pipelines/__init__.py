"""kgft workflows: thin orchestrators that return results saving themselves to run directories."""
