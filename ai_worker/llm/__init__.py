"""The ``rules`` dialogue engine: a deterministic ordering assistant in Korean and English."""
