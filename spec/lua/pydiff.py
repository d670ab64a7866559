"""pydiff.py - the Python side of spec/lua/pydiff_spec.lua.

Reads a file of operation sequences (one operation a line, see the spec),
applies each sequence to a copy of the starting file through Python's mmap,
and writes one record a step to stdout:

    <result> <tell> <len> <content as hex>

The Lua side applies the same operations through mapbuf and compares the
records line by line.  Results are normalised so both sides can produce
them: "ok", "E" (the call raised), "I:<int>", "S:<hex>".
"""
import mmap
import os
import sys


def unhex(x):
    return b"" if x == "-" else bytes.fromhex(x)


def run(ops_path, workdir):
    out = sys.stdout
    path = os.path.join(workdir, "py.bin")
    m = f = None
    with open(ops_path) as ops:
        for line in ops:
            w = line.split()
            op = w[0]
            if op == "seq":
                with open(path, "wb") as g:
                    g.write(unhex(w[2]))
                f = open(path, "r+b")
                m = mmap.mmap(f.fileno(), 0)
                continue
            if op == "close":
                m.close()
                f.close()
                with open(path, "rb") as g:
                    data = g.read()
                out.write("S:%s\n" % data.hex())
                continue
            try:
                r = step(m, op, w[1:])
            except (ValueError, IndexError, OSError, TypeError):
                r = "E"
            out.write("%s %d %d %s\n" % (r, m.tell(), len(m), m[:].hex()))


def step(m, op, a):
    if op == "write":
        m.write(unhex(a[0]))
        return "ok"
    if op == "write_byte":
        m.write_byte(int(a[0]))
        return "ok"
    if op == "seek":
        m.seek(int(a[0]), int(a[1]))
        return "ok"
    if op == "read":
        return "S:" + m.read(int(a[0])).hex()
    if op == "readall":
        return "S:" + m.read().hex()
    if op == "read_byte":
        return "I:%d" % m.read_byte()
    if op == "readline":
        return "S:" + m.readline().hex()
    if op == "find":
        return "I:%d" % m.find(unhex(a[0]), int(a[1]))
    if op == "rfind":
        return "I:%d" % m.rfind(unhex(a[0]), int(a[1]), int(a[2]))
    if op == "move":
        m.move(int(a[0]), int(a[1]), int(a[2]))
        return "ok"
    if op == "set":
        s = unhex(a[1])
        i = int(a[0])
        m[i:i + len(s)] = s
        return "ok"
    if op == "resize":
        m.resize(int(a[0]))
        return "ok"
    if op == "sub":
        return "S:" + m[int(a[0]):int(a[1])].hex()
    if op == "index":
        return "I:%d" % m[int(a[0])]
    if op == "flush":
        m.flush()
        return "ok"
    if op == "size":
        return "I:%d" % m.size()
    if op == "tell":
        return "I:%d" % m.tell()
    raise SystemExit("pydiff.py: unknown operation " + op)


if __name__ == "__main__":
    try:
        run(sys.argv[1], sys.argv[2])
    except BrokenPipeError:  # the spec stopped reading at a difference
        sys.stderr.close()
        os._exit(0)
