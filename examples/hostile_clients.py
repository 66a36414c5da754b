#!/usr/bin/env python3
"""Malformed and hostile HTTP requests on raw sockets against a running admin server (the demo's).

Each request goes on its own connection and must get its 4xx status; after each one a plain GET /livez on a fresh
connection must still answer 200, so no bad client takes the server down. A slow client (one header byte every
0.2 s) is held open while 20 probes complete within 2 s each. Exits 1 naming the first request that went wrong.
Usage: hostile_clients.py PORT
"""
import socket
import sys
import threading
import time

PORT = int(sys.argv[1])
HOST = "127.0.0.1"


def exchange(raw: bytes, timeout: float = 5.0) -> bytes:
    """Sends raw, reads until the server closes or stops sending, returns what came back."""
    with socket.create_connection((HOST, PORT), timeout=timeout) as s:
        try:
            s.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before it has read everything we sent
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            except socket.timeout:
                break
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data and b"connection: close" not in data.lower():
                # a keep-alive answer: read just its body
                head, _, body = data.partition(b"\r\n\r\n")
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                if len(body) >= length:
                    break
        return data


def status_of(answer: bytes) -> int:
    line = answer.split(b"\r\n", 1)[0]
    parts = line.split(b" ")
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        return -1
    return int(parts[1])


def header(answer: bytes, name: str) -> str:
    head = answer.partition(b"\r\n\r\n")[0]
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name.encode():
            return value.strip().decode()
    return ""


def still_serving(after: str) -> None:
    answer = exchange(b"GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    if status_of(answer) != 200:
        sys.exit(f"hostile_clients: after {after}, GET /livez answered {answer[:80]!r}")


CASES = [
    ("garbage request line", b"GARBAGE\r\n\r\n", 400),
    ("unknown HTTP version", b"GET /livez HTTP/9.9\r\nHost: x\r\n\r\n", 400),
    ("header without a colon", b"GET /livez HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400),
    ("control byte in the method", b"GET\x01 /livez HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("NUL in a header value", b"GET /livez HTTP/1.1\r\nHost: x\r\nX-Evil: a\x00b\r\n\r\n", 400),
    ("bare CR inside a header value", b"GET /livez HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", 400),
    ("Content-Length that is not a number", b"GET /livez HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n", 400),
    ("two different Content-Lengths",
     b"POST /config/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
    ("a bad chunk size", b"POST /config/reload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
    ("headers over 8 KiB", b"GET /livez HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
    ("thousands of small headers", b"GET /livez HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 2000 + b"\r\n", 431),
    ("a body over the limit",
     b"POST /config/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n" + b"x" * 4096, 413),
    ("an unknown path", b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404),
    ("a wrong method", b"DELETE /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405),
    ("a write action while they are off",
     b"POST /breakers/inventory/force-open HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
     404),
]

for what, raw, want in CASES:
    answer = exchange(raw)
    got = status_of(answer)
    if got != want:
        sys.exit(f"hostile_clients: {what}: expected {want}, got {answer[:120]!r}")
    if want == 405 and "GET" not in header(answer, "allow"):
        sys.exit(f"hostile_clients: {what}: a 405 without an Allow header naming GET: {answer[:200]!r}")
    still_serving(what)

# A client that connects and sends nothing, and one that sends a header byte every 0.2 s: neither delays the probes.
idle = socket.create_connection((HOST, PORT))
slow_stop = threading.Event()


def slow_client() -> None:
    with socket.create_connection((HOST, PORT)) as s:
        for byte in b"GET /livez HTTP/1.1\r\nX-Slow: " + b"a" * 1000:
            if slow_stop.is_set():
                return
            try:
                s.send(bytes([byte]))
            except OSError:
                return  # closed by the server's read timeout: also fine
            time.sleep(0.2)


slow = threading.Thread(target=slow_client)
slow.start()
time.sleep(0.3)
for i in range(20):
    t0 = time.monotonic()
    still_serving(f"probe {i} beside a slow client")
    if time.monotonic() - t0 > 2.0:  # generous: the machine may be busy with the other tests
        sys.exit(f"hostile_clients: probe {i} beside a slow client took {time.monotonic() - t0:.2f} s")
slow_stop.set()
slow.join()
idle.close()
still_serving("the slow clients")
print(f"hostile_clients: {len(CASES)} hostile requests answered with their 4xx, the server kept serving")
