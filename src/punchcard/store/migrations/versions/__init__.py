"""One module per revision of the store's tables."""
