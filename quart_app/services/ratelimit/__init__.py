"""Per-caller, per-endpoint budgets for the AI endpoints (CONTRACT section 2)."""
