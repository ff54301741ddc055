"""A webhook receiver for the tests: verifies every delivery with the
Standard Webhooks reference library and records what arrived.

  receiver.py STATE_DIR [PORT]

Prints "listening PORT" once it accepts connections. STATE_DIR keeps the
secrets and the record across restarts, so a receiver stopped and started
again on the same port continues the same record.

  PUT  /secrets/NAME   body: the endpoint's secret (whsec_...)
  POST /hooks/NAME     a delivery: 204 when verified, 400 when not
  GET  /received       every delivery so far, in arrival order
"""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

STATE = sys.argv[1]
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 0
SECRETS = os.path.join(STATE, "secrets.json")
RECEIVED = os.path.join(STATE, "received.jsonl")


def load_secrets():
    if not os.path.exists(SECRETS):
        return {}
    with open(SECRETS) as file:
        return json.load(file)


def record(entry):
    with open(RECEIVED, "a") as file:
        file.write(json.dumps(entry) + "\n")
        file.flush()
        os.fsync(file.fileno())


class Handler(BaseHTTPRequestHandler):
    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def answer(self, status, payload=None):
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        name = self.path.removeprefix("/secrets/")
        secrets = load_secrets()
        secrets[name] = self.body().decode()
        with open(SECRETS, "w") as file:
            json.dump(secrets, file)
        self.answer(204)

    def do_POST(self):
        name = self.path.removeprefix("/hooks/")
        data = self.body()
        headers = {key: value for key, value in self.headers.items()}
        secret = load_secrets().get(name)
        entry = {"endpoint": name, "webhookId": headers.get("webhook-id")}
        try:
            if secret is None:
                raise WebhookVerificationError("no secret for this endpoint")
            event = Webhook(secret).verify(data, headers)
            entry.update(
                verified=True,
                eventId=event["id"],
                type=event["type"],
                sequenceNumber=event["sequenceNumber"],
                providerId=event.get("providerId"),
                consumerId=event.get("consumerId"),
            )
        except WebhookVerificationError as error:
            entry.update(verified=False, error=str(error))
        record(entry)
        self.answer(204 if entry["verified"] else 400)

    def do_GET(self):
        entries = []
        if os.path.exists(RECEIVED):
            with open(RECEIVED) as file:
                entries = [json.loads(line) for line in file if line.strip()]
        self.answer(200, entries)

    def log_message(self, format, *args):
        pass


server = HTTPServer(("127.0.0.1", PORT), Handler)
print(f"listening {server.server_address[1]}", flush=True)
server.serve_forever()
