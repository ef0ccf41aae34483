"""``/api/docs`` works offline: the page loads Swagger UI only from this origin."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from app.api import docs
from app.core.auth import PUBLIC_ROUTES, route_table

BASE = "http://testserver"  # TestClient's own origin


class _Links(HTMLParser):
    """Every URL the page makes the browser load (scripts, styles, icons)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.urls.append((tag, value))


def _page(anon_client: TestClient) -> Any:
    response = anon_client.get("/api/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return response


def test_the_docs_page_loads_its_assets_from_this_origin_only(anon_client: TestClient) -> None:
    page = _page(anon_client)
    parser = _Links()
    parser.feed(page.text)
    tags = sorted(tag for tag, _url in parser.urls)
    assert tags == ["link", "link", "script"], parser.urls  # stylesheet, icon, bundle
    for _tag, url in parser.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{url} is on another host"
        assert url.startswith("/api/docs/assets/")
    # No absolute URL at all: nothing for the browser to fetch from elsewhere.
    assert re.findall(r"(?:https?:)?//[\w.-]+", page.text) == []
    assert "validatorUrl" in page.text and '"validatorUrl": null' in page.text
    # The schema it reads is this origin's too.
    assert "url: '/api/openapi.json'" in page.text


def test_the_assets_answer_with_their_media_types(anon_client: TestClient) -> None:
    parser = _Links()
    parser.feed(_page(anon_client).text)
    seen = {}
    for _tag, url in parser.urls:
        response = anon_client.get(url)
        assert response.status_code == 200, url
        seen[url.rsplit("/", 1)[-1]] = response
    assert set(seen) == set(docs.ASSETS)
    js, css, icon = seen["swagger-ui-bundle.js"], seen["swagger-ui.css"], seen["favicon-32x32.png"]
    assert js.headers["content-type"] == "text/javascript; charset=utf-8"
    assert js.text.count("SwaggerUIBundle") >= 2  # the global the page calls
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    assert ".swagger-ui" in css.text
    assert icon.headers["content-type"] == "image/png"
    assert icon.content.startswith(b"\x89PNG\r\n\x1a\n")
    for response in seen.values():
        assert "max-age" in response.headers["cache-control"]


def test_a_content_security_policy_if_sent_lets_the_assets_load(anon_client: TestClient) -> None:
    csp = _page(anon_client).headers.get("content-security-policy")
    if csp is not None:
        directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
        for name in ("script-src", "style-src"):
            allowed = directives.get(name, directives.get("default-src", "*"))
            assert "'self'" in allowed or "*" in allowed, csp


def test_only_the_listed_files_are_served(anon_client: TestClient) -> None:
    for name in ("index.css", "swagger-editor-bundle.js", "LICENSE", "..%2F..%2Fcore.py", "swagger-ui.js.map"):
        response = anon_client.get(f"/api/docs/assets/{name}")
        assert response.status_code == 404, name
        assert response.headers["content-type"] == "application/json"
        assert "detail" in response.json()


def test_the_oauth2_redirect_page_still_answers(anon_client: TestClient) -> None:
    response = anon_client.get("/docs/oauth2-redirect")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "oauth2" in response.text.lower()


def test_the_docs_routes_are_public_by_the_list_and_stay_out_of_the_schema(app: Any, anon_client: TestClient) -> None:
    docs_routes = {
        (method, entry.path)
        for entry in route_table(app)
        if entry.path.startswith(("/api/docs", "/docs/"))
        for method in entry.methods - {"HEAD"}
    }
    assert docs_routes == {("GET", docs.DOCS_PATH), ("GET", docs.ASSETS_PATH), ("GET", docs.OAUTH2_REDIRECT_PATH)}
    assert docs_routes <= PUBLIC_ROUTES
    schema = anon_client.get("/api/openapi.json").json()
    assert not [path for path in schema["paths"] if "docs" in path]


def test_the_docs_page_honours_a_root_path(app: Any) -> None:
    with TestClient(app, root_path="/backend") as prefixed:
        text = prefixed.get("/api/docs").text
    assert "/backend/api/docs/assets/swagger-ui-bundle.js" in text
    assert "url: '/backend/api/openapi.json'" in text
