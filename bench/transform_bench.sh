#!/bin/sh
# bench/transform_bench.sh [BUILD] - the core's bulk kernels (issue 12)
# side by side with numpy, Python (zlib, bytes, mmap), zlib from C and
# LuaJIT FFI, on one file of BENCH_TRANSFORM_MB (64) MiB of random bytes.
# CPU time, best of BENCH_REPS (3).  Builds bench/transform_bench.c against
# BUILD/libmapbuf.a (default build), runs it at the CPU's best SIMD level,
# at AVX2 and portable, then the other sides one after the other (never at
# once), each on a fresh copy of the data, and prints the table
# (bench/transform_report.py).  Not part of ctest.  PYTHON (default: the
# first python3 with numpy, /usr/bin/python3 first), LUAJIT (luajit).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$(cd "${1:-$root/build}" && pwd)
mb=${BENCH_TRANSFORM_MB:-64}
reps=${BENCH_REPS:-3}
[ -f "$build/libmapbuf.a" ] || { echo "transform_bench: no $build/libmapbuf.a (build first)" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapbuf-tbench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

zlib="-DHAVE_ZLIB -lz"
echo 'int main(void){return 0;}' > "$tmp/z.c"
${CC:-cc} "$tmp/z.c" -lz -o "$tmp/z" 2>/dev/null || zlib=""
# shellcheck disable=SC2086
${CC:-cc} -O2 -I"$root/src/core" "$here/transform_bench.c" "$build/libmapbuf.a" \
  $zlib -lpthread -lm -lrt -o "$tmp/tb"

if [ -z "${PYTHON:-}" ]; then
  for py in /usr/bin/python3 python3; do
    if "$py" -c "import numpy" 2>/dev/null; then PYTHON=$py; break; fi
  done
fi
PYTHON=${PYTHON:-python3}
LUAJIT=${LUAJIT:-luajit}

head -c $((mb * 1024 * 1024)) /dev/urandom > "$tmp/pristine.bin"
fresh() { cp "$tmp/pristine.bin" "$tmp/data.bin"; }
res="$tmp/results.tsv"
: > "$res"

echo "transform_bench: $mb MiB, best of $reps" >&2
for level in 3 2 0; do
  fresh
  echo "transform_bench: mapbuf, level $level" >&2
  "$tmp/tb" "$tmp/data.bin" "$level" "$reps" >> "$res"
done
fresh
echo "transform_bench: $PYTHON" >&2
"$PYTHON" "$here/transform_bench.py" "$tmp/data.bin" "$reps" >> "$res" || echo "transform_bench: python side failed" >&2
if command -v "$LUAJIT" > /dev/null 2>&1; then
  fresh
  echo "transform_bench: $LUAJIT" >&2
  "$LUAJIT" "$here/transform_bench.lua" "$tmp/data.bin" "$reps" >> "$res" || echo "transform_bench: luajit side failed" >&2
fi
# a level the CPU lacks runs as the best it has: keep one row per real level
awk -F'\t' '{ k = $1 FS $2; if (!(k in seen)) { seen[k] = 1; print } }' "$res" > "$res.1"
"$PYTHON" "$here/transform_report.py" "$res.1" "$mb"
