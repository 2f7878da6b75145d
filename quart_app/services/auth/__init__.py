"""Who is calling, without a web framework: tokens, the principal they name, the signing key."""
