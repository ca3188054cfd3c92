#!/usr/bin/env python3
"""Holds PAIRS established loopback TCP pairs (both ends in this process), plus optional
listeners and UDP sockets, until stdin closes or SECONDS pass. Prints "ready" when set up."""
import resource
import select
import socket
import sys

pairs, listeners, udp, seconds = (int(arg) for arg in sys.argv[1:5])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
held = []
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(4096)
held.append(server)
for _ in range(pairs):
    client = socket.create_connection(server.getsockname())
    accepted, _ = server.accept()
    held += [client, accepted]
for _ in range(listeners):
    extra = socket.socket()
    extra.bind(("127.0.0.1", 0))
    extra.listen(16)
    held.append(extra)
for _ in range(udp):
    datagram = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    datagram.bind(("127.0.0.1", 0))
    held.append(datagram)
print("ready", server.getsockname()[1], flush=True)
select.select([sys.stdin], [], [], seconds)
