"""WebSocket streams: /ws/cycles (each cycle's overview), /ws/alerts (each new alert), /ws/cash-flows (the running
buckets of the smallest enabled timeframe).

A poller on the API's own event loop asks the query layer (in a worker thread) every `poll_seconds` whether newer
data is stored, and broadcasts what changed. A client gets the latest state at once when it connects. Each client
has a small queue; a client that does not keep up (queue full, or one send slower than `send_timeout`) is dropped,
so a slow reader never blocks the poller, the other clients, or the service that collects.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from typing import Any, Callable

log = logging.getLogger(__name__)

STREAMS = ("cycles", "alerts", "cash-flows")
QUEUE_SIZE = 32
SEND_TIMEOUT = 5.0


class Client:
    def __init__(self, websocket) -> None:
        self.websocket = websocket
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUE_SIZE)
        self.dropped = False


class Hub:
    def __init__(self, snapshot: Callable[[str], Any], changes: Callable[[dict], dict], poll_seconds: float = 1.0,
                 send_timeout: float = SEND_TIMEOUT, metrics: Any = None) -> None:
        self.snapshot = snapshot  # stream -> JSON-ready latest state (called in a worker thread)
        self.changes = changes  # state -> {stream: [messages]} since the last poll (worker thread)
        self.poll_seconds, self.send_timeout, self.metrics = poll_seconds, send_timeout, metrics
        self.clients: dict[str, set[Client]] = {stream: set() for stream in STREAMS}
        self.state: dict = {}
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._poll())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def serve(self, stream: str, websocket) -> None:
        """Accept, send the latest state, then forward broadcasts until the client leaves or is dropped."""
        await websocket.accept()
        client = Client(websocket)
        first = await asyncio.to_thread(self.snapshot, stream)
        client.queue.put_nowait(first)
        self.clients[stream].add(client)
        self._count("op_ws_clients", stream, 1)
        try:
            await asyncio.gather(self._send_loop(client), self._receive_loop(client))
        finally:
            self.clients[stream].discard(client)
            self._count("op_ws_clients", stream, -1)

    async def _send_loop(self, client: Client) -> None:
        while not client.dropped:
            message = await client.queue.get()
            if message is None:
                break
            try:
                await asyncio.wait_for(client.websocket.send_text(json.dumps(message, default=_json_default)),
                                       self.send_timeout)
            except Exception:  # timeout or a closed socket: this client is gone
                client.dropped = True
        await self._close(client)

    async def _receive_loop(self, client: Client) -> None:
        from starlette.websockets import WebSocketDisconnect

        try:
            while not client.dropped:
                await client.websocket.receive_text()  # clients need not send; this notices them leave
        except (WebSocketDisconnect, RuntimeError):
            pass
        client.dropped = True
        if client.queue.empty():
            client.queue.put_nowait(None)

    async def _close(self, client: Client) -> None:
        try:
            await client.websocket.close(code=1013)
        except Exception:
            pass

    def broadcast(self, stream: str, message: Any) -> None:
        for client in list(self.clients[stream]):
            try:
                client.queue.put_nowait(message)
            except asyncio.QueueFull:  # it does not keep up: drop it rather than wait for it
                client.dropped = True
                self._count("op_ws_dropped", stream, 1)
                self.clients[stream].discard(client)
                asyncio.get_running_loop().create_task(self._close(client))

    async def _poll(self) -> None:
        while True:
            try:
                found = await asyncio.to_thread(self.changes, self.state)
                for stream, messages in found.items():
                    for message in messages:
                        self.broadcast(stream, message)
            except Exception:  # a failed read is logged and tried again at the next poll
                log.exception("stream poll failed")
            await asyncio.sleep(self.poll_seconds)

    def _count(self, name: str, stream: str, amount: int) -> None:
        if self.metrics is not None:
            self.metrics(name, stream, amount)


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")
