#!/usr/bin/env python3
"""Upstream servers for the forward tests, independent of portkit's own code.

forward_peer.py MODE [TAG]: listens on 127.0.0.1 (port chosen by the kernel), prints the
port on stdout, then serves until killed.
  echo     echoes; at the client's FIN, flushes and closes
  tag      sends TAG and a newline first, then echoes
  reverse  reads until FIN, then answers everything read, reversed (needs half-close)
  late-reverse  the same, answering 1 s after the FIN (socat gives up after 0.5 s)
  reset    reads once, then closes with a reset (SO_LINGER 0)
  stream   sends data without end, 64 KiB a millisecond (buffers stay short, as a reader keeps up)
  udp      UDP echo, TAG and a colon before each reply
"""
import asyncio
import resource
import socket
import struct
import sys

MODE = sys.argv[1]
TAG = sys.argv[2].encode() if len(sys.argv) > 2 else b""


async def handle(reader, writer):
    try:
        if MODE == "tag":
            writer.write(TAG + b"\n")
        if MODE in ("echo", "tag"):
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        elif MODE in ("reverse", "late-reverse"):
            data = await reader.read()
            if MODE == "late-reverse":
                await asyncio.sleep(1.0)
            writer.write(data[::-1])
            await writer.drain()
        elif MODE == "reset":
            await reader.read(65536)
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return
        elif MODE == "stream":
            chunk = b"s" * 65536
            while True:
                writer.write(chunk)
                await writer.drain()
                await asyncio.sleep(0.001)
        writer.close()
    except (ConnectionError, OSError):
        writer.transport.abort()


class UdpEcho(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, address):
        self.transport.sendto(TAG + b":" + data, address)


async def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if MODE == "udp":
        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
            UdpEcho, local_addr=("127.0.0.1", 0))
        port = transport.get_extra_info("sockname")[1]
    else:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)
        port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
