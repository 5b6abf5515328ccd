#!/usr/bin/env python3
"""hop_latency.py PCAP EDGE_PORT OUT_PORT: how long a proxy held each INVITE, from a capture on
loopback (tcpdump -i lo -w PCAP). An INVITE in is the first UDP INVITE to EDGE_PORT for a
Call-ID, an INVITE out the first one to OUT_PORT with the same Call-ID; the delay is their
capture timestamps' difference (microseconds). Prints "count p50_ms p99_ms".
"""
import struct
import sys

LINK_ETHERNET, LINK_LINUX_SLL, LINK_NULL = 1, 113, 0


def packets(path):
    with open(path, "rb") as f:
        head = f.read(24)
        magic = struct.unpack("<I", head[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            endian = "<"
        else:
            endian = ">"
            magic = struct.unpack(">I", head[:4])[0]
        nano = magic == 0xA1B23C4D
        link = struct.unpack(endian + "I", head[20:24])[0]
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            sec, frac, incl, _ = struct.unpack(endian + "IIII", rec)
            data = f.read(incl)
            yield sec + frac / (1e9 if nano else 1e6), link, data


def udp_payload(link, data):
    off = {LINK_ETHERNET: 14, LINK_LINUX_SLL: 16, LINK_NULL: 4}.get(link)
    if off is None or len(data) < off + 28 or data[off] >> 4 != 4 or data[off + 9] != 17:
        return None, None
    ihl = (data[off] & 15) * 4
    udp = off + ihl
    dport = struct.unpack(">H", data[udp + 2:udp + 4])[0]
    return dport, data[udp + 8:]


def call_id(payload):
    for line in payload.split(b"\r\n"):
        low = line.lower()
        if low.startswith(b"call-id:") or low.startswith(b"i:"):
            return line.split(b":", 1)[1].strip()
        if not line:
            return None
    return None


def main():
    path, edge_port, out_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    seen_in, delays = {}, {}
    for ts, link, data in packets(path):
        dport, payload = udp_payload(link, data)
        if payload is None or not payload.startswith(b"INVITE "):
            continue
        cid = call_id(payload)
        if cid is None:
            continue
        if dport == edge_port and cid not in seen_in:
            seen_in[cid] = ts
        elif dport == out_port and cid in seen_in and cid not in delays:
            delays[cid] = ts - seen_in[cid]
    d = sorted(delays.values())
    if not d:
        print("0 0 0")
        return
    pick = lambda q: d[min(len(d) - 1, int(q * len(d)))] * 1000
    print("%d %.3f %.3f" % (len(d), pick(0.5), pick(0.99)))


if __name__ == "__main__":
    main()
