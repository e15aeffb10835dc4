"""The HTTP face: REST API (`/api/v1/...`, `/health`, `/metrics`, OpenAPI at `/docs`), WebSocket streams (`/ws/...`)
and the web dashboard at `/`, all reading the query layer (`op_trading.queries`).

Served by uvicorn inside the running service (`ApiFace`) or on its own over the store (`python op_trading_setup.py
api`). FastAPI, uvicorn, pydantic and the chart library are imported only here, when the API starts.
"""
