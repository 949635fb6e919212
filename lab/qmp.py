"""A small QMP client (Python standard library only).

Debian packages no QMP library, and the lab needs only a handful of
commands: object-add, device_add, device_del, qom-set, qom-get, send-key,
human-monitor-command, and waiting for an event or a value.  Every failure,
a reply that does not come in time included, is a QMPError.
"""

import json
import socket
import threading
import time


class QMPError(Exception):
    """QEMU answered a command with an error, or the socket broke."""


class QMP:
    def __init__(self, path, timeout=30.0, log=None):
        self.path = path
        self.timeout = timeout
        self.events = []
        self._log = log
        self._buf = b""
        self._sock = None
        # QEMU serves one QMP client: the control thread's requests and the
        # runner's hang forensics share this connection, one at a time.
        self.lock = threading.RLock()

    def connect(self, retry_s=10.0):
        deadline = time.monotonic() + retry_s
        while True:
            try:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(self.timeout)
                sock.connect(self.path)
                break
            except OSError as e:
                sock.close()
                if time.monotonic() > deadline:
                    raise QMPError(f"cannot connect to QMP at {self.path}: {e}") from e
                time.sleep(0.05)
        self._sock = sock
        greeting = self._recv()
        if "QMP" not in greeting:
            raise QMPError(f"unexpected QMP greeting: {greeting}")
        self.command("qmp_capabilities")

    def set_timeout(self, seconds):
        """The reply timeout of every later command."""
        self.timeout = seconds
        if self._sock:
            self._sock.settimeout(seconds)

    def close(self):
        if self._sock:
            self._sock.close()
            self._sock = None

    def _note(self, direction, obj):
        if self._log:
            self._log.write(f"{time.monotonic():.3f} {direction} {json.dumps(obj)}\n")
            self._log.flush()

    def _recv(self):
        while b"\n" not in self._buf:
            try:
                chunk = self._sock.recv(65536)
            except socket.timeout as e:
                raise QMPError(f"no QMP reply in {self._sock.gettimeout():.0f}s") from e
            except OSError as e:
                raise QMPError(f"QMP receive failed: {e}") from e
            if not chunk:
                raise QMPError("QMP connection closed by QEMU")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        obj = json.loads(line)
        self._note("<", obj)
        return obj

    def command(self, name, **args):
        with self.lock:
            return self._command(name, **args)

    def _command(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self._note(">", msg)
        try:
            self._sock.sendall(json.dumps(msg).encode() + b"\n")
        except OSError as e:
            raise QMPError(f"QMP send failed: {e}") from e
        while True:
            resp = self._recv()
            if "event" in resp:
                self.events.append(resp)
                continue
            if "error" in resp:
                err = resp["error"]
                raise QMPError(f"{name}: {err.get('class')}: {err.get('desc')}")
            return resp.get("return")

    def wait_event(self, name, timeout, match=None):
        """Wait for event NAME (optionally with data matching MATCH)."""
        with self.lock:
            return self._wait_event(name, timeout, match)

    def _wait_event(self, name, timeout, match):
        def matches(ev):
            if ev.get("event") != name:
                return False
            data = ev.get("data", {})
            return all(data.get(k) == v for k, v in (match or {}).items())

        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.events):
                if matches(ev):
                    return self.events.pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                raise QMPError(f"timed out after {timeout}s waiting for {name} {match or ''}")
            self._sock.settimeout(left)
            try:
                resp = self._recv()
            except QMPError:
                if time.monotonic() < deadline:
                    raise
                continue
            finally:
                self._sock.settimeout(self.timeout)
            if "event" in resp:
                self.events.append(resp)

    def drop_events(self, name, match=None):
        """Forget queued events NAME matching MATCH (left over from an earlier wait)."""
        self.events = [ev for ev in self.events
                       if not (ev.get("event") == name and
                               all(ev.get("data", {}).get(k) == v
                                   for k, v in (match or {}).items()))]

    def wait_until(self, get, done, timeout, what, poll_s=0.2):
        """Poll GET() until DONE(value); return the value or raise QMPError."""
        deadline = time.monotonic() + timeout
        while True:
            value = get()
            if done(value):
                return value
            if time.monotonic() > deadline:
                raise QMPError(f"timed out after {timeout}s waiting for {what} (last: {value})")
            time.sleep(poll_s)
