"""Loaded by every Python process started with this folder on PYTHONPATH (the runner, its kernels, their
workers): any socket connection to an address outside the loopback range raises, so a test run proves that
nothing reaches for the network. Used by tests/test_offline.py where a network namespace cannot be made."""
import ipaddress
import socket

_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex


def _check(address):
    if isinstance(address, tuple) and address:
        host = address[0]
        try:
            ip = ipaddress.ip_address(socket.gethostbyname(host) if not host[:1].isdigit() and ":" not in host else host)
        except (OSError, ValueError):
            raise OSError(f"modgap offline guard: refused a connection to {host!r}") from None
        if not ip.is_loopback:
            raise OSError(f"modgap offline guard: refused a connection to {address}")


def connect(self, address):
    _check(address)
    return _connect(self, address)


def connect_ex(self, address):
    _check(address)
    return _connect_ex(self, address)


socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
