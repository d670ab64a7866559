"""bench/ipc_latency.py: Python's side of bench/ipc_latency.lua.

One-way latency of a ping-pong over multiprocessing.Pipe (blocking), and of
a spinning ping-pong over multiprocessing.shared_memory, plus messages per
second of 64-byte messages through a Pipe.  Prints "key value" lines.

    python3 bench/ipc_latency.py [rounds [messages]]
"""
import os
import sys
import time
from multiprocessing import Pipe, Process, shared_memory

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
NMSG = int(sys.argv[2]) if len(sys.argv) > 2 else 500000
WARM = 2000


def pin(cpu):
    try:
        os.sched_setaffinity(0, {cpu})
    except (AttributeError, OSError):
        pass


def stats(samples):
    samples.sort()
    def at(p):
        return samples[max(0, min(len(samples) - 1, int(len(samples) * p + 0.5) - 1))]
    return at(0.5), at(0.99)


def pipe_echo(conn, n):
    pin(1)
    for _ in range(n):
        conn.send_bytes(conn.recv_bytes())


def pipe_latency():
    a, b = Pipe()
    p = Process(target=pipe_echo, args=(b, WARM + ROUNDS))
    p.start()
    msg = b"x" * 8
    clock = time.perf_counter
    out = []
    for i in range(WARM + ROUNDS):
        t0 = clock()
        a.send_bytes(msg)
        a.recv_bytes()
        if i >= WARM:
            out.append((clock() - t0) / 2 * 1e6)
    p.join()
    return stats(out)


def spin_echo(name, n):
    pin(1)
    shm = shared_memory.SharedMemory(name=name)
    buf = shm.buf.cast("I")
    for i in range(1, n + 1):
        while buf[0] != i:
            pass
        buf[16] = i
    del buf
    shm.close()


def spin_latency():
    shm = shared_memory.SharedMemory(create=True, size=4096)
    try:
        buf = shm.buf.cast("I")
        buf[0] = buf[16] = 0
        p = Process(target=spin_echo, args=(shm.name, WARM + ROUNDS))
        p.start()
        clock = time.perf_counter
        out = []
        for i in range(1, WARM + ROUNDS + 1):
            t0 = clock()
            buf[0] = i
            while buf[16] != i:
                pass
            if i > WARM:
                out.append((clock() - t0) / 2 * 1e6)
        p.join()
        del buf
    finally:
        shm.close()
        shm.unlink()
    return stats(out)


def pipe_send(conn, n):
    pin(1)
    msg = b"x" * 64
    for _ in range(n):
        conn.send_bytes(msg)


def pipe_throughput():
    a, b = Pipe(duplex=False)
    p = Process(target=pipe_send, args=(b, NMSG))
    p.start()
    a.recv_bytes()
    t0 = time.perf_counter()
    for _ in range(NMSG - 1):
        a.recv_bytes()
    t = time.perf_counter() - t0
    p.join()
    return (NMSG - 1) / t


if __name__ == "__main__":
    pin(0)
    med, p99 = pipe_latency()
    print("pipe_median_us %.3f" % med)
    print("pipe_p99_us %.3f" % p99)
    med, p99 = spin_latency()
    print("spin_median_us %.3f" % med)
    print("spin_p99_us %.3f" % p99)
    print("pipe_msgs_per_s %.0f" % pipe_throughput())
