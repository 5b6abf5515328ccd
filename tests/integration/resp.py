"""A small Redis client (RESP over a socket, no dependency) for tests that look at what the
suite keeps in the stack's Redis."""
import socket


class Redis:
    def __init__(self, port, password=""):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.f = self.sock.makefile("rb")
        if password:
            assert self.call(b"AUTH", password.encode()) == b"OK"

    def close(self):
        self.sock.close()

    def call(self, *args):
        args = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        self.sock.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
        return self._read()

    def _read(self):
        line = self.f.readline().rstrip(b"\r\n")
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b"-"):
            return rest
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self.f.read(n + 2)[:-2]
        if kind == b"*":
            n = int(rest)
            return [] if n < 0 else [self._read() for _ in range(n)]
        raise ValueError(line)

    def keys(self):
        cursor, out = b"0", []
        while True:
            cursor, batch = self.call(b"SCAN", cursor, b"COUNT", b"1000")
            out += batch
            if cursor == b"0":
                return out

    def value(self, k):
        """The key's whole value as bytes, whatever its type."""
        t = self.call(b"TYPE", k)
        v = {b"string": lambda: self.call(b"GET", k), b"hash": lambda: self.call(b"HGETALL", k),
             b"set": lambda: self.call(b"SMEMBERS", k), b"list": lambda: self.call(b"LRANGE", k, 0, -1),
             b"zset": lambda: self.call(b"ZRANGE", k, 0, -1, b"WITHSCORES")}.get(t, lambda: b"")()
        return v if isinstance(v, (bytes, type(None))) else b"\n".join(x or b"" for x in v)


def for_stack(stack):
    return Redis(int(stack["OI_REDIS_PORT"]), stack.get("OI_REDIS_PASSWORD", ""))
