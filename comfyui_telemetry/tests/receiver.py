"""A webhook receiver on 127.0.0.1 for the tests: records each POST; answers with the statuses
it is given in turn (then 200), or never answers at all (`hang=True`)."""

import http.server
import json
import socket
import threading
import time


class Receiver:
    def __init__(self, statuses=(), hang=False):
        self.statuses = list(statuses)
        self.hang = hang
        self.posts = []  # (path, headers dict, body bytes)
        self.lock = threading.Lock()
        if hang:
            self.sock = socket.socket()
            self.sock.bind(("127.0.0.1", 0))
            self.sock.listen(64)  # accepted by the kernel, never read nor answered
            self.port = self.sock.getsockname()[1]
            self.server = None
            return
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with outer.lock:
                    outer.posts.append((self.path, dict(self.headers), body))
                    status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hook/secret-path"

    def bodies(self):
        with self.lock:
            return [json.loads(b) for _, _, b in self.posts]

    def wait(self, n, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.posts) >= n:
                    return True
            time.sleep(0.02)
        return False

    def close(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        else:
            self.sock.close()
