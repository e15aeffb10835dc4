"""Market model: indices, instruments, expiry buckets and the IST trading calendar."""
