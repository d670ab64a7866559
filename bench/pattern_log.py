"""bench/pattern_log.py PATH [MIB]: a synthetic web server log of MIB MiB
(default 16) for bench/pattern_run, always the same bytes (seeded).

Most lines are in common log format with the extras a real server adds:

  10.4.17.201 - - [21/Nov/2024:08:13:07 +0000] "GET /api/v2/items?id=4417&page=3 HTTP/1.1" 200 5120 "-" "curl/8.4.0" rt=0.023 upstream=app2

and about one line in thirty is an application error:

  2024-11-21T08:13:07Z ERROR worker=3 code=504 msg="upstream timed out" req=91f2
"""
import random
import sys

METHODS = [b"GET"] * 14 + [b"POST"] * 4 + [b"PUT", b"DELETE", b"HEAD"]
PATHS = [b"/", b"/index.html", b"/api/v2/items", b"/api/v2/users", b"/static/app.js",
         b"/static/style.css", b"/img/logo.png", b"/login", b"/search", b"/feed.xml"]
AGENTS = [b"curl/8.4.0", b"Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0",
          b"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) Safari/605.1.15",
          b"python-requests/2.31.0", b"Go-http-client/1.1"]
STATUS = [200] * 20 + [301, 302, 304, 304, 404, 404, 500, 503]
MONTHS = [b"Nov"]
ERRORS = [b"upstream timed out", b"connection refused", b"disk full",
          b"bad gateway", b"deadline exceeded"]


def access(r, t):
    ip = b"%d.%d.%d.%d" % (r.choice((10, 172, 192)), r.randrange(256),
                           r.randrange(256), r.randrange(1, 255))
    day, rest = divmod(t, 86400)
    h, rest = divmod(rest, 3600)
    mi, s = divmod(rest, 60)
    date = b"%02d/Nov/2024:%02d:%02d:%02d +0000" % (21 + day % 7, h, mi, s)
    path = r.choice(PATHS)
    if path.startswith(b"/api") or path == b"/search":
        path += b"?id=%d&page=%d" % (r.randrange(100000), r.randrange(1, 20))
        if r.random() < 0.3:
            path += b"&user=u%d" % r.randrange(5000)
    line = b'%s - - [%s] "%s %s HTTP/1.1" %d %d "-" "%s"' % (
        ip, date, r.choice(METHODS), path, r.choice(STATUS),
        r.randrange(0, 200000), r.choice(AGENTS))
    if r.random() < 0.6:
        line += b" rt=0.%03d upstream=app%d" % (r.randrange(1000), r.randrange(1, 9))
    return line


def error(r, t):
    h, rest = divmod(t % 86400, 3600)
    mi, s = divmod(rest, 60)
    return b'2024-11-21T%02d:%02d:%02dZ ERROR worker=%d code=%d msg="%s" req=%x' % (
        h, mi, s, r.randrange(16), r.choice((500, 502, 503, 504)),
        r.choice(ERRORS), r.randrange(1 << 16))


def main():
    path = sys.argv[1]
    size = int(sys.argv[2] if len(sys.argv) > 2 else 16) << 20
    r = random.Random(20241121)
    out, n, t = [], 0, 8 * 3600
    while n < size:
        t += r.randrange(3)
        line = (error if r.random() < 1 / 30 else access)(r, t) + b"\n"
        out.append(line)
        n += len(line)
    data = b"".join(out)[:size]
    with open(path, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
