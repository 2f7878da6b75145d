"""Per-caller, per-endpoint budgets for the AI endpoints (docs/contract.md §5)."""
