"""The web dashboard: a few static pages (op_trading/api/web) whose own script reads the REST API and the alerts
WebSocket and draws with Plotly. plotly.min.js is served from the installed `plotly` package (never a CDN, never a
copy in this repository), so the dashboard works offline and behind firewalls.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

WEB = Path(__file__).parent / "web"
# route -> (page id, title, draws charts)
PAGES = {"/": ("overview", "Overview", False), "/chain": ("chain", "Option chain", True),
         "/charts": ("charts", "Intraday and history", True), "/volatility": ("volatility", "Volatility", True),
         "/participants": ("participants", "Participants", True), "/flows": ("flows", "Cash flows", True),
         "/alerts": ("alerts", "Alerts", False)}
PLOTLY_TAG = '<script defer src="/static/vendor/plotly.min.js"></script>\n'


def render_page(page: str, title: str, charts: bool) -> str:
    """The layout with the page's body: plain HTML, so the header and tables paint before any script runs."""
    layout = (WEB / "layout.html").read_text(encoding="utf-8")
    body = (WEB / "pages" / f"{page}.html").read_text(encoding="utf-8")
    return (layout.replace("{title}", title).replace("{page}", page).replace("{body}", body)
            .replace("{scripts}", PLOTLY_TAG if charts else ""))


def plotly_js() -> Path | None:
    """plotly.min.js inside the installed plotly wheel (found without importing plotly itself)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "package_data" / "plotly.min.js"
    return path if path.is_file() else None


def routes(app) -> None:
    from fastapi.responses import FileResponse, JSONResponse
    from fastapi.staticfiles import StaticFiles

    app.mount("/static/app", StaticFiles(directory=WEB / "static"), name="dashboard-static")

    @app.get("/static/vendor/plotly.min.js", include_in_schema=False)
    def plotly():
        path = plotly_js()
        if path is None:
            return JSONResponse({"detail": "the plotly package is not installed: pip install plotly"}, 404)
        return FileResponse(path, media_type="application/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    from fastapi.responses import HTMLResponse

    for route, (page, title, charts) in PAGES.items():
        html = render_page(page, title, charts)

        def make(text: str):
            def serve():
                return HTMLResponse(text, headers={"Cache-Control": "no-cache"})

            return serve

        app.add_api_route(route, make(html), include_in_schema=False, methods=["GET"])
