#!/usr/bin/env python3
"""A small emulator of the EC2 instance metadata service (IMDS) on loopback, for tests.

Implements the IMDSv2 session flow (PUT /latest/api/token with the TTL header, then requests with
X-aws-ec2-metadata-token) and, with --tokens optional, IMDSv1's tokenless GETs. With --tokens
required a tokenless GET answers 401, as EC2 does when HttpTokens=required.

Usage: imds_emulator.py --port-file FILE [--tokens optional|required] [--instance-id ID]
It binds 127.0.0.1 on a free port, writes the port to FILE, and serves until killed or until
--max-seconds pass (so a forgotten emulator never outlives its test).
"""
import argparse
import http.server
import secrets
import threading
import time

META = {
    "instance-id": None,
    "placement/region": "eu-west-1",
    "placement/availability-zone": "eu-west-1a",
    "local-ipv4": "172.31.5.10",
}


def make_handler(args, tokens):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *a):  # quiet: tests read their own assertions
            pass

        def reply(self, status, body=""):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_PUT(self):
            if self.path != "/latest/api/token":
                return self.reply(404, "Not Found")
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
            if ttl is None or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                return self.reply(400, "Bad Request")
            token = secrets.token_urlsafe(32)
            tokens[token] = time.time() + int(ttl)
            self.reply(200, token)

        def do_GET(self):
            token = self.headers.get("X-aws-ec2-metadata-token")
            if token is not None:
                if tokens.get(token, 0) < time.time():
                    return self.reply(401, "Unauthorized")
            elif args.tokens == "required":
                return self.reply(401, "Unauthorized")
            prefix = "/latest/meta-data/"
            if not self.path.startswith(prefix):
                return self.reply(404, "Not Found")
            key = self.path[len(prefix):]
            if key in META:
                return self.reply(200, META[key] or args.instance_id)
            self.reply(404, "Not Found")

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--tokens", choices=["optional", "required"], default="optional")
    parser.add_argument("--instance-id", default="i-0123456789abcdef0")
    parser.add_argument("--max-seconds", type=float, default=300)
    args = parser.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(args, {}))
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.replace(args.port_file + ".tmp", args.port_file)
    threading.Timer(args.max_seconds, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
