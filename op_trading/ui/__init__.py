"""The terminal application: engine, prompts and rendering — the only code that prints or reads input."""
