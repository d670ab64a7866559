#!/usr/bin/env python3
"""Make examples/data/sample.png once: a 24x24 RGB gradient with a tEXt
chunk, a few hundred bytes.  Kept so the bundled file can be remade."""
import os
import struct
import zlib


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def main():
    w = h = 24
    rows = []
    for y in range(h):
        pix = bytearray()
        for x in range(w):
            pix += bytes([x * 255 // (w - 1), y * 255 // (h - 1), 128])
        # filter type 1 (Sub): each byte minus the one a pixel to the left,
        # which a gradient turns into runs that deflate well
        sub = bytes((pix[i] - (pix[i - 3] if i >= 3 else 0)) & 255
                    for i in range(len(pix)))
        rows.append(b"\x01" + sub)
    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"tEXt", b"Comment\0mapbuf sample: a 24x24 gradient")
    png += chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
    png += chunk(b"IEND", b"")
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample.png")
    with open(out, "wb") as f:
        f.write(png)
    print(out, len(png), "bytes")


if __name__ == "__main__":
    main()
