"""The voice feature: analyze and STT turns, AI requests, conversation sessions, generated media."""
