"""A webhook for tests: an HTTP server on 127.0.0.1 (a free port) that keeps every POST it
receives (imported by ``test_alerts`` and ``test_health_crawl``)."""

from __future__ import annotations

import http.server
import threading
import time
from typing import Any


class WebhookReceiver:
    """Answers each POST with the next of ``answers`` (then 204): a status, or ``"slow"``,
    which answers 204 after a second (past a short client timeout). A 302 points at the cloud
    metadata address, which a client must not follow."""

    def __init__(self, *answers: int | str) -> None:
        self.answers = list(answers)
        #: (path with query, headers, body) of each POST, in order.
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.received.append((self.path, dict(self.headers.items()), body))
                answer = receiver.answers.pop(0) if receiver.answers else 204
                if answer == "slow":
                    time.sleep(1.0)
                    answer = 204
                self.send_response(int(answer))
                if answer == 302:
                    self.send_header("Location", "http://169.254.169.254/latest/")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        """The webhook's URL, with a token in its query as real ones have."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks/newsarchive?token=s3cret"

    @property
    def bodies(self) -> list[bytes]:
        return [body for _, _, body in self.received]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> WebhookReceiver:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
