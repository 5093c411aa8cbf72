# A stand-in OpenClaw gateway for host e2e tests of health probes: it
# answers GET /healthz and /readyz on 127.0.0.1:PORT with the gateway's JSON.
# Files in the tenant's home steer it: CRASH makes it exit 1 at start (a
# crash loop under Restart=on-failure), NOTREADY makes /readyz answer 503.
import http.server
import json
import os
import sys
import time

home = os.environ.get("HOME", "/")
if os.path.exists(os.path.join(home, "CRASH")):
    time.sleep(0.3)
    sys.exit(1)
port = int(sys.argv[1])


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code, body = 404, {"error": "not found"}
        if self.path == "/healthz":
            code, body = 200, {"status": "live"}
        elif self.path == "/readyz":
            ready = not os.path.exists(os.path.join(home, "NOTREADY"))
            code = 200 if ready else 503
            body = {"ready": ready, "failing": [] if ready else ["fake"], "uptimeMs": 1}
        b = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
