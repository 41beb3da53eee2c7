"""A TCP relay in front of a real service (PostgreSQL, S3, the Overlord), for outages the real server cannot stage
on demand for one process only: the service under test connects through it, and the test cuts its connections
(down), resets them (a restart), or pauses the bytes (a frozen process: connections open, nothing answers)."""

from __future__ import annotations

import contextlib
import socket
import threading


class TcpRelay:
    """Forwards a local port to `target` until cut: then new connections are refused and open ones reset."""

    def __init__(self, target: tuple[str, int], port: int = 0) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", port))
        self.port: int = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.flowing = threading.Event()
        self.flowing.set()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.flowing.wait()  # a paused service accepts nothing new either (its backlog fills)
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                self.flowing.wait()
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def cut(self) -> None:
        # shutdown, not only close: a close leaves the accept() blocked in the other thread listening.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.reset()
        self.resume()  # held pumps wake up and find their sockets closed

    def pause(self) -> None:
        """Hold every byte in both directions (and new connections) until resume(): a process under SIGSTOP."""
        self.flowing.clear()

    def resume(self) -> None:
        self.flowing.set()

    def reset(self) -> None:
        """Drop the open connections and keep accepting new ones: a PostgreSQL restart, as clients see it."""
        with self.lock:
            for s in self.sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self.sockets.clear()
