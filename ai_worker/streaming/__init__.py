"""Streaming speech for hands-free talk (docs/contract.md §1.5): VAD, decoding, serving."""
