"""The long-running side of the product: collection runs (`collect.run_collection`) and the service around them."""
