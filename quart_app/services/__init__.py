"""Application services, one sub-package per feature; they call bus/ and domain/."""
