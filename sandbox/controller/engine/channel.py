"""One direction of a mirroring connection: JSON messages, one per line, over TLS."""
import asyncio
import json

MAX_MESSAGE_BYTES = 16 * 1024 * 1024


class ChannelClosed(Exception):
    pass


class _QuietUntilTls(asyncio.StreamReaderProtocol):
    """Reads nothing before the TLS upgrade: on Python < 3.13 the bytes a plain stream read ahead
    (the partner's ClientHello, when it arrives before the handler runs) are lost by start_tls, and
    the handshake hangs until its timeout (CPython gh-142352). start_tls resumes reading."""

    def connection_made(self, transport):
        transport.pause_reading()
        super().connection_made(transport)


async def start_server(handler, host, port):
    """A listener whose handler upgrades each connection with `writer.start_tls` before reading."""
    loop = asyncio.get_running_loop()

    def protocol():
        return _QuietUntilTls(asyncio.StreamReader(limit=MAX_MESSAGE_BYTES, loop=loop), handler, loop=loop)
    return await loop.create_server(protocol, host, port, reuse_address=True)


async def open_connection(host, port, context):
    """A TLS connection whose reader takes messages up to MAX_MESSAGE_BYTES (a batch of log records
    is one line; asyncio's default limit of 64 KiB would break the stream on a large batch)."""
    return await asyncio.open_connection(host, port, ssl=context, limit=MAX_MESSAGE_BYTES)


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
