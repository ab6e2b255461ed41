"""What a run has cost: the price list users can edit, and the ledger of paid calls."""
