"""The realtime feature: WebSocket connections, notifications, replay and stats."""
