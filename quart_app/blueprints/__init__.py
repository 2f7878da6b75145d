"""HTTP and WebSocket blueprints, one module each."""
