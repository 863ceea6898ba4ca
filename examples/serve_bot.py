#!/usr/bin/env python3
"""The seed's /connections scenario as a Python bot, with `discord-oauth2 serve` as its sidecar.

The bot starts the sidecar, asks it for a link for the user, waits for the sidecar's line saying
the user authorized, takes a fresh access token from it, calls Discord with that token, and
finally revokes the grant. Only Python's standard library is used.

    serve_bot.py USER_ID [PATH_OF_discord-oauth2]

The sidecar reads the application's settings from the environment (DISCORD_CLIENT_ID,
DISCORD_CLIENT_SECRET, DISCORD_REDIRECT_URI, and DISCORD_API_BASE for another Discord such as
the emulator); docs/serve.md explains each line.
"""
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import urllib.request


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over the sidecar's Unix socket (mode 0600: only this user can connect)."""

    def __init__(self, path):
        super().__init__("localhost", timeout=60)
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(60)
        self.sock.connect(self.socket_path)


def control(path, method, target, body=None):
    """One request to the sidecar; its JSON answer (raises on an error status)."""
    connection = UnixHTTPConnection(path)
    connection.request(method, target, body=json.dumps(body) if body is not None else None,
                       headers={"Content-Type": "application/json"})
    answer = connection.getresponse()
    document = json.loads(answer.read() or b"{}")
    connection.close()
    if answer.status >= 400:
        raise RuntimeError(f"{method} {target}: {answer.status} {document.get('message', '')}")
    return document


def discord_get(path, token):
    """GET from Discord's API with the user's token."""
    base = os.environ.get("DISCORD_API_BASE", "https://discord.com").rstrip("/")
    if not base.endswith("/api/v10"):
        base += "/api/v10"
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def main():
    user = sys.argv[1]
    program = sys.argv[2] if len(sys.argv) > 2 else "discord-oauth2"
    with tempfile.TemporaryDirectory() as private:
        sidecar = subprocess.Popen(
            [program, "serve", "--scope", "identify", "connections", "--control", f"unix:{private}/control.sock"],
            stdout=subprocess.PIPE, text=True)
        try:
            ready = json.loads(sidecar.stdout.readline())  # the first line: where everything is
            path = ready["control"].removeprefix("unix:")

            link = control(path, "POST", "/link", {"user_id": user})["url"]
            print("Please wait..", flush=True)
            print(f"open {user} {link}", flush=True)  # the bot would send this to the user

            for line in sidecar.stdout:  # one JSON line per event
                event = json.loads(line)
                if event.get("user_id") != user:
                    continue
                if event["event"] == "authorization_code_exchanged":
                    break
                if event["event"] in ("authorization_denied", "error"):
                    print(f"Not authorized: {event.get('message', event['event'])}", flush=True)
                    return 1

            token = control(path, "GET", f"/grants/{user}/token")["access_token"]
            connections = discord_get("/users/@me/connections", token)
            first = connections[0]["name"] if connections else "none"
            print(f"{len(connections)} total connections. First connection username: {first}", flush=True)
            print("revocation: " + control(path, "DELETE", f"/grants/{user}")["revocation"], flush=True)
        finally:
            sidecar.terminate()  # SIGTERM: the sidecar stops gracefully
            sidecar.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
