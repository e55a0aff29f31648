"""Serves the browser chat (webchat/) on 127.0.0.1:$WEBCHAT_PORT; started by scripts/run_stack.py.

A static server with two additions: `/config.js` tells the page where Rasa listens
($RASA_URL, generated per request, so two stacks on different ports never share a file),
and `/vendor/socket.io.min.js` is the socket.io client that `npm ci --prefix webchat`
installed. Only the page's own files are served, never node_modules as a whole.
"""

from __future__ import annotations

import json
import os
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

WEBCHAT = Path(__file__).resolve().parents[1] / "webchat"
SOCKET_IO_CLIENT = WEBCHAT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
FILES = {
    "/": (WEBCHAT / "index.html", "text/html; charset=utf-8"),
    "/index.html": (WEBCHAT / "index.html", "text/html; charset=utf-8"),
    "/app.js": (WEBCHAT / "app.js", "text/javascript; charset=utf-8"),
    "/style.css": (WEBCHAT / "style.css", "text/css; charset=utf-8"),
    "/vendor/socket.io.min.js": (SOCKET_IO_CLIENT, "text/javascript; charset=utf-8"),
}


def config_js(rasa_url: str) -> bytes:
    return f"window.BOTTEGA_CONFIG = {json.dumps({'rasaUrl': rasa_url})};\n".encode()


def make_handler(rasa_url: str) -> type[BaseHTTPRequestHandler]:
    config = config_js(rasa_url)

    class WebChatHandler(BaseHTTPRequestHandler):
        server_version = "bottega-webchat"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/config.js":
                self._send(config, "text/javascript; charset=utf-8")
            elif path in FILES:
                file, content_type = FILES[path]
                try:
                    self._send(file.read_bytes(), content_type)
                except FileNotFoundError:
                    self.send_error(HTTPStatus.NOT_FOUND, f"{file.name} is missing (run `make setup`)")
            else:
                self.send_error(HTTPStatus.NOT_FOUND)

        def _send(self, body: bytes, content_type: str) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")  # edits to the page show on reload
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # one line per file per page load would drown the other services' output

    return WebChatHandler


def main() -> int:
    port = int(os.environ.get("WEBCHAT_PORT", "8080"))
    rasa_url = os.environ.get("RASA_URL") or f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}"
    if not SOCKET_IO_CLIENT.exists():
        print(f"webchat: {SOCKET_IO_CLIENT} is missing; run `make setup` (npm ci --prefix webchat)", flush=True)
        return 1
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(rasa_url))
    print(f"webchat: serving {WEBCHAT} on http://127.0.0.1:{port} (Rasa at {rasa_url})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
