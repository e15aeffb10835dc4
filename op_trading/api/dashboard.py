"""The web dashboard: a few static pages (op_trading/api/web) whose own script reads the REST API and the alerts
WebSocket and draws with Plotly. plotly.min.js is served from the installed `plotly` package (never a CDN, never a
copy in this repository), so the dashboard works offline and behind firewalls.

Pages stay light: the HTML names its assets with a version (`?v=<content hash>` for ours, `?v=<plotly version>` for
plotly), so a browser keeps them a year (`immutable`) and a new release changes the URL; the page paints its header
and tables first and app.js loads plotly.min.js (3.5 MB, ~1 MB gzipped) only after the numbers are in.
"""

# no `from __future__ import annotations`: the routes' `Request` annotations must be real classes for FastAPI
import hashlib
import importlib.util
from pathlib import Path

WEB = Path(__file__).parent / "web"
ASSETS = ("app.css", "app.js")
# route -> (page id, title, draws charts)
PAGES = {"/": ("overview", "Overview", False), "/chain": ("chain", "Option chain", True),
         "/charts": ("charts", "Intraday and history", True), "/volatility": ("volatility", "Volatility", True),
         "/participants": ("participants", "Participants", True), "/flows": ("flows", "Cash flows", True),
         "/alerts": ("alerts", "Alerts", False)}
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"  # an unversioned asset URL (typed by hand): kept briefly


def asset_version(name: str) -> str:
    """Content hash of one of our assets: the URL changes exactly when the file does."""
    return hashlib.sha256((WEB / "static" / name).read_bytes()).hexdigest()[:12]


def plotly_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("plotly")
    except PackageNotFoundError:
        return "missing"


def asset_urls() -> dict[str, str]:
    urls = {name: f"/static/app/{name}?v={asset_version(name)}" for name in ASSETS}
    urls["plotly"] = f"/static/vendor/plotly.min.js?v={plotly_version()}"
    return urls


def render_page(page: str, title: str, charts: bool, urls: dict[str, str] | None = None) -> str:
    """The layout with the page's body: plain HTML, so the header and tables paint before any script runs.
    Chart pages name plotly.min.js in `data-plotly`; app.js loads it once the page's numbers are shown."""
    urls = urls or asset_urls()
    layout = (WEB / "layout.html").read_text(encoding="utf-8")
    body = (WEB / "pages" / f"{page}.html").read_text(encoding="utf-8")
    return (layout.replace("{title}", title).replace("{page}", page).replace("{body}", body)
            .replace("{css}", urls["app.css"]).replace("{js}", urls["app.js"])
            .replace("{plotly}", urls["plotly"] if charts else ""))


def plotly_js() -> Path | None:
    """plotly.min.js inside the installed plotly wheel (found without importing plotly itself)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "package_data" / "plotly.min.js"
    return path if path.is_file() else None


def cache_control(request, version: str) -> str:
    return IMMUTABLE if request.query_params.get("v") == version else SHORT


def routes(app) -> None:
    from fastapi import Request
    from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

    urls = asset_urls()
    versions = {name: asset_version(name) for name in ASSETS}
    types = {"app.css": "text/css", "app.js": "application/javascript"}

    @app.get("/static/app/{name}", include_in_schema=False)
    def asset(name: str, request: Request):
        if name not in ASSETS:
            return JSONResponse({"detail": f"no asset {name[:60]!r}"}, 404)
        return FileResponse(WEB / "static" / name, media_type=types[name],
                            headers={"Cache-Control": cache_control(request, versions[name])})

    @app.get("/static/vendor/plotly.min.js", include_in_schema=False)
    def plotly(request: Request):
        path = plotly_js()
        if path is None:
            return JSONResponse({"detail": "the plotly package is not installed: pip install plotly"}, 404)
        return FileResponse(path, media_type="application/javascript",
                            headers={"Cache-Control": cache_control(request, plotly_version())})

    for route, (page, title, charts) in PAGES.items():
        html = render_page(page, title, charts, urls)

        def make(text: str):
            def serve():
                return HTMLResponse(text, headers={"Cache-Control": "no-cache"})

            return serve

        app.add_api_route(route, make(html), include_in_schema=False, methods=["GET"])
