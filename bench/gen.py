"""bench/gen.py DIR BIG_MB LOOP_MB TEXT_MB FILL_MB: the bench's data files.

big.bin   BIG_MB of random bytes with the needle as its last bytes
loop.bin  LOOP_MB of random bytes (the per-call loops)
text.txt  TEXT_MB of text lines with words and numbers (lines, gmatch)
fill.bin  FILL_MB of random bytes (fill and set throughput)
"""
import os
import random
import sys

NEEDLE = b"mapbuf-needle-0123456789"
MB = 1 << 20


def repeated(path, size, block, tail=b""):
    with open(path, "wb") as f:
        left = size - len(tail)
        while left > 0:
            f.write(block[:left])
            left -= min(left, len(block))
        f.write(tail)


def main():
    d = sys.argv[1]
    big, loop, text, fill = (int(x) * MB for x in sys.argv[2:6])
    rnd = random.Random(42)
    block = bytes(rnd.getrandbits(8) for _ in range(MB))
    assert NEEDLE not in block
    repeated(os.path.join(d, "big.bin"), big, block, NEEDLE)
    repeated(os.path.join(d, "loop.bin"), loop, block)
    repeated(os.path.join(d, "fill.bin"), fill, block)
    words = ["alpha", "beta", "gamma", "delta", "mapbuf", "lua", "python",
             "the", "of", "and", "a", "to", "in", "is", "it", "that"]
    lines, size = [], 0
    while size < MB:
        parts = []
        for _ in range(rnd.randint(0, 12)):
            if rnd.random() < 0.3:
                parts.append(str(rnd.randint(0, 10 ** rnd.randint(1, 9))))
            else:
                parts.append(rnd.choice(words))
        line = (" ".join(parts) + "\n").encode()
        lines.append(line)
        size += len(line)
    repeated(os.path.join(d, "text.txt"), text, b"".join(lines))


if __name__ == "__main__":
    main()
