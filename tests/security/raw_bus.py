"""A D-Bus client written out by hand (EXTERNAL auth, method calls without arguments), for attacks a
library would not make: a connection kept by a forked child after its opener exited, a process whose
real and effective users differ, many calls without waiting for a library's bookkeeping."""
import os
import socket
import struct
import sys
import time

DEST = "org.jmem.Governor1"
PATH = "/org/jmem/Governor1"
IFACE = "org.jmem.Governor1.Manager"


def _align(buf, n):
    while len(buf) % n:
        buf.append(0)


def _fields(fields):
    out = bytearray()
    for code, sig, value in fields:
        _align(out, 8)
        out += bytes([code, 1]) + sig.encode() + b"\0"
        _align(out, 4)
        data = value.encode()
        out += struct.pack("<I", len(data)) + data + b"\0"
    return out


def method_call(serial, destination, path, interface, member):
    fields = _fields([(1, "o", path), (2, "s", interface), (3, "s", member), (6, "s", destination)])
    head = bytearray(struct.pack("<BBBBIII", ord("l"), 1, 0, 1, 0, serial, len(fields)))
    head += fields
    _align(head, 8)
    return bytes(head)


class Connection:
    def __init__(self, address):
        assert address.startswith("unix:path="), address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(address[len("unix:path="):].split(",")[0])
        uid = str(os.geteuid()).encode().hex()
        self.sock.sendall(b"\0AUTH EXTERNAL " + uid.encode() + b"\r\n")
        line = self._line()
        if not line.startswith(b"OK"):
            raise RuntimeError(f"auth refused: {line!r}")
        self.sock.sendall(b"BEGIN\r\n")
        self.serial = 0
        self.buffer = b""
        self.call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello")

    def _line(self):
        data = b""
        while not data.endswith(b"\r\n"):
            chunk = self.sock.recv(1)
            if not chunk:
                raise RuntimeError("the bus closed the connection during auth")
            data += chunk
        return data

    def _read(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("the bus closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def _message(self):
        fixed = self._read(16)
        _, kind, _, _, body_len, _, fields_len = struct.unpack("<BBBBIII", fixed)
        padded = fields_len + (-(16 + fields_len) % 8)
        fields = self._read(padded)[:fields_len]
        self._read(body_len)
        reply_serial, error = None, None
        i = 0
        while i < len(fields):
            i += -i % 8
            code, sig_len = fields[i], fields[i + 1]
            sig = fields[i + 2:i + 2 + sig_len].decode()
            i += 3 + sig_len
            if sig == "u":
                i += -(i + 16) % 4
                value = struct.unpack("<I", fields[i:i + 4])[0]
                i += 4
            elif sig in ("s", "o"):
                i += -(i + 16) % 4
                length = struct.unpack("<I", fields[i:i + 4])[0]
                value = fields[i + 4:i + 4 + length].decode()
                i += 5 + length
            elif sig == "g":
                length = fields[i]
                value = fields[i + 1:i + 1 + length].decode()
                i += 2 + length
            else:
                raise RuntimeError(f"unexpected header field type {sig}")
            if code == 5:
                reply_serial = value
            elif code == 4:
                error = value
        return kind, reply_serial, error

    def call(self, destination, path, interface, member):
        """Returns None for a method return, else the error's name."""
        self.send(destination, path, interface, member)
        return self.wait(self.serial)

    def send(self, destination, path, interface, member):
        self.serial += 1
        self.sock.sendall(method_call(self.serial, destination, path, interface, member))
        return self.serial

    def wait(self, serial):
        while True:
            kind, reply_serial, error = self._message()
            if reply_serial == serial and kind in (2, 3):
                return error if kind == 3 else None

    def call_jmemd(self, member):
        return self.call(DEST, PATH, IFACE, member)


def main(argv):
    mode, address = argv[0], argv[1]
    if mode == "reuse":
        connection = Connection(address)
        if os.fork() != 0:
            print(os.getpid(), flush=True)  # this process opened the connection; it exits now
            os._exit(0)
        sys.stdin.readline()
        for method in ("Reload", "Revert", "Apply"):
            print(method, connection.call_jmemd(method) or "ok", flush=True)
        return 0
    if mode == "call":
        connection = Connection(address)
        for method in argv[2:]:
            print(method, connection.call_jmemd(method) or "ok", flush=True)
        return 0
    if mode == "flood":
        connection = Connection(address)
        deadline = time.monotonic() + float(argv[2])
        calls = 0
        while time.monotonic() < deadline:
            connection.call_jmemd("Reload")
            calls += 1
        print(calls)
        return 0
    return 2


if __name__ == "__main__":
    # raw_bus.py reuse|call|flood ADDRESS ...: reuse prints the opener's PID, then its forked child calls
    # Reload, Revert and Apply on the kept connection after a line on stdin; call calls the methods named;
    # flood calls Reload for the seconds given and prints how many calls it made.
    sys.exit(main(sys.argv[1:]))
