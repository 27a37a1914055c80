"""One direction of a mirroring connection: JSON messages, one per line, over TLS."""
import asyncio
import json

MAX_MESSAGE_BYTES = 16 * 1024 * 1024


class ChannelClosed(Exception):
    pass


class Channel:
    def __init__(self, reader, writer, peer):
        self.reader = reader
        self.writer = writer
        self.peer = peer
        self.closed = False

    async def send(self, message):
        if self.closed:
            raise ChannelClosed(f"channel to {self.peer} is closed")
        try:
            self.writer.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")
            await self.writer.drain()
        except (ConnectionError, RuntimeError, OSError) as exc:
            self.close()
            raise ChannelClosed(f"channel to {self.peer} broke: {exc}") from exc

    async def receive(self, timeout=None):
        try:
            line = await asyncio.wait_for(self.reader.readline(), timeout)
        except asyncio.TimeoutError:
            raise
        except (ConnectionError, OSError, asyncio.IncompleteReadError) as exc:
            self.close()
            raise ChannelClosed(f"channel from {self.peer} broke: {exc}") from exc
        if not line:
            self.close()
            raise ChannelClosed(f"{self.peer} closed the connection")
        return json.loads(line)

    def close(self):
        if not self.closed:
            self.closed = True
            self.writer.close()
