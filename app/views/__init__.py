"""Widgets: what the reader sees. They talk to the engine only through the controllers."""
