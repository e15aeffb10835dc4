"""The WebSocket hub never waits for a slow client: it drops it and keeps serving the others."""

from __future__ import annotations

import asyncio

from op_trading.api.streams import QUEUE_SIZE, Hub


class FakeSocket:
    """A client whose sends take `delay` seconds (a stalled reader when large)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay, self.sent, self.closed = delay, [], None
        self.leave = asyncio.Event()

    async def accept(self):
        pass

    async def send_text(self, text):
        await asyncio.sleep(self.delay)
        self.sent.append(text)

    async def receive_text(self):
        await self.leave.wait()
        from starlette.websockets import WebSocketDisconnect

        raise WebSocketDisconnect()

    async def close(self, code=1000):
        self.closed = code
        self.leave.set()


def test_slow_clients_are_dropped_without_blocking_the_others():
    async def scenario():
        dropped = []
        hub = Hub(lambda stream: {"kind": "snapshot"}, lambda state: {}, poll_seconds=60, send_timeout=0.5,
                  metrics=lambda name, stream, amount: dropped.append(name) if name == "op_ws_dropped" else None)
        fast, stalled = FakeSocket(), FakeSocket(delay=3600)
        tasks = [asyncio.create_task(hub.serve("alerts", fast)), asyncio.create_task(hub.serve("alerts", stalled))]
        await asyncio.sleep(0.1)
        for round_ in range(10):  # broadcast is a plain function: it cannot wait for anybody
            for number in range(10):
                hub.broadcast("alerts", {"n": round_ * 10 + number})
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.6)
        assert stalled.closed == 1013 and "op_ws_dropped" in dropped
        assert len(fast.sent) == 101  # the snapshot and every broadcast: the fast client was never held up
        assert QUEUE_SIZE < 100
        fast.leave.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 5)
        assert not hub.clients["alerts"]

    asyncio.run(scenario())


def test_a_new_client_gets_the_latest_state_first():
    async def scenario():
        hub = Hub(lambda stream: {"stream": stream, "kind": "snapshot"}, lambda state: {}, poll_seconds=60)
        socket = FakeSocket()
        task = asyncio.create_task(hub.serve("cycles", socket))
        await asyncio.sleep(0.1)
        socket.leave.set()
        await asyncio.wait_for(task, 5)
        assert socket.sent and '"kind": "snapshot"' in socket.sent[0]

    asyncio.run(scenario())
