"""Generated images, stored where every instance of the service can read them."""
