"""Redis failure modes for tests: a port that accepts and never answers, and a
redis-server of our own to kill and restart mid-test."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator

import redis

__all__ = ["LOCAL_REDIS_URL", "Blackhole", "RedisProcess", "free_port", "scratch_namespace"]


LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"


def scratch_namespace(prefix: str, url: str = LOCAL_REDIS_URL) -> Iterator[str]:
    """A unique key prefix on the machine's Redis, its keys deleted afterwards (use with
    ``yield from`` in a fixture). Redis being down fails the test rather than skipping it."""
    name = f"{prefix}-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(url)
    client.ping()
    try:
        yield name
        keys = list(client.scan_iter(match=f"{name}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Blackhole:
    """Accepts TCP connections and never answers (a hung Redis)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.conns: list[socket.socket] = []
        self._stop = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.conns.append(conn)

    def close(self) -> None:
        """Stop accepting and drop the held connections."""
        self._stop = True
        self._thread.join(2)
        for conn in self.conns:
            conn.close()
        self.sock.close()


class RedisProcess:
    """``redis-server --port <free> --save '' --appendonly no`` as a subprocess."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Its URL (db 0)."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it and wait until it answers PING (fails loudly if it cannot)."""
        exe = shutil.which("redis-server")
        if exe is None:
            raise RuntimeError("redis-server is not installed; these tests need it")
        self.proc = subprocess.Popen(
            [
                exe,
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--bind",
                "127.0.0.1",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        try:
            for _ in range(100):
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    time.sleep(0.05)
            raise RuntimeError(f"redis-server on port {self.port} did not start")
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL it (no clean shutdown) and wait."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(5)
            self.proc = None
