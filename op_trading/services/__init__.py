"""Servers the product can use: bootstrap and health checks (InfluxDB, Redis, ...). Each returns `Check` lines."""
