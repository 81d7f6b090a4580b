"""kgft models: KG embeddings, text pipeline, classifier, knowledge injection."""
