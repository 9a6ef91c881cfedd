"""Hand-written extensions of the generated resources (retry-safe creates, chunking, files)."""
