"""OP Trading Platform: options analytics for Indian index options on Kite Connect."""

__version__ = "0.1.0"
PRODUCT_NAME = "OP Trading Platform"
