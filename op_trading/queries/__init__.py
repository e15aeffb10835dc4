"""One read layer over the store for every face (terminal views, REST API, dashboard): `Queries`.

    queries = Queries.open(settings)        # own store connection
    queries.overview(); queries.chain("NIFTY", strikes=10); queries.intraday("NIFTY", fields=["pcr_oi"])

Answers are dataclasses with `source` and `as_of`; `QueryError` for a bad parameter, `NotFound` when nothing is
stored yet. See `op_trading/queries/base.py`.
"""
