#!/usr/bin/env python3
"""Self-test of lab/qmp.py against a scripted fake QMP server (TAP out)."""
import json
import os
import socket
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lab"))
from qmp import QMP, QMPError  # noqa: E402


def fake_server(path, ready):
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    ready.set()
    conn, _ = srv.accept()
    f = conn.makefile("rwb", buffering=0)

    def send(obj):
        f.write(json.dumps(obj).encode() + b"\n")

    send({"QMP": {"version": {}, "capabilities": []}})
    for line in f:
        msg = json.loads(line)
        cmd = msg["execute"]
        if cmd == "qmp_capabilities":
            send({"return": {}})
        elif cmd == "device_del":
            # An unrelated event first, then the reply, then the one awaited.
            send({"event": "SOMETHING", "data": {}})
            send({"return": {}})
            send({"event": "DEVICE_DELETED", "data": {"device": msg["arguments"]["id"]}})
        elif cmd == "qom-get":
            send({"return": 268435456})
        else:
            send({"error": {"class": "GenericError", "desc": f"no such command {cmd}"}})
    conn.close()
    srv.close()


def main():
    results = []

    def t(ok, desc):
        results.append(f"{'ok' if ok else 'not ok'} {len(results) + 1} - qmp: {desc}")

    d = tempfile.mkdtemp()
    path = os.path.join(d, "qmp")
    ready = threading.Event()
    threading.Thread(target=fake_server, args=(path, ready), daemon=True).start()
    ready.wait(5)
    q = QMP(path, timeout=5)
    q.connect()
    t(True, "greeting and capabilities negotiated")
    t(q.command("qom-get", path="/x", property="size") == 268435456, "command returns its value")
    try:
        q.command("bogus")
        t(False, "an error reply raises QMPError")
    except QMPError as e:
        t("no such command bogus" in str(e), "an error reply raises QMPError")
    q.command("device_del", id="dimm1")
    ev = q.wait_event("DEVICE_DELETED", 5, {"device": "dimm1"})
    t(ev["data"]["device"] == "dimm1", "an event that follows a reply is found")
    try:
        q.wait_event("DEVICE_DELETED", 0.3, {"device": "other"})
        t(False, "waiting for an event that never comes times out")
    except QMPError as e:
        t("timed out" in str(e), "waiting for an event that never comes times out")
    q.close()
    print("\n".join(results))
    return 0 if all(r.startswith("ok") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
