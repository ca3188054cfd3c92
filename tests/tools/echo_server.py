#!/usr/bin/env python3
"""The open ports of a netns-host: TCP accepts and echoes, UDP echoes, on IPv4 and IPv6.

usage: echo_server.py TCP_PORTS UDP_PORTS   (comma lists, either may be empty)
Prints "ready" once every socket is bound, so the caller knows probes will find them.
"""
import selectors
import socket
import sys


def port_list(text):
    ports = []
    for part in filter(None, text.split(",")):
        low, _, high = part.partition("-")
        ports.extend(range(int(low), int(high or low) + 1))
    return ports


def bind(family, kind, port):
    sock = socket.socket(family, kind)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", port))
    if kind == socket.SOCK_STREAM:
        sock.listen(4096)
    sock.setblocking(False)
    return sock


def main():
    tcp_ports, udp_ports = port_list(sys.argv[1]), port_list(sys.argv[2])
    selector = selectors.DefaultSelector()
    for family in (socket.AF_INET, socket.AF_INET6):
        for port in tcp_ports:
            selector.register(bind(family, socket.SOCK_STREAM, port), selectors.EVENT_READ, "listener")
        for port in udp_ports:
            selector.register(bind(family, socket.SOCK_DGRAM, port), selectors.EVENT_READ, "datagram")
    print("ready", flush=True)
    while True:
        for key, _ in selector.select():
            sock, role = key.fileobj, key.data
            try:
                if role == "listener":
                    connection, _ = sock.accept()
                    connection.setblocking(False)
                    selector.register(connection, selectors.EVENT_READ, "stream")
                elif role == "datagram":
                    data, peer = sock.recvfrom(65535)
                    sock.sendto(data, peer)
                else:
                    data = sock.recv(65536)
                    if not data:
                        raise ConnectionResetError
                    sock.sendall(data)
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                if role == "stream":
                    selector.unregister(sock)
                    sock.close()


if __name__ == "__main__":
    main()
