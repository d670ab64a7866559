#!/bin/sh
# spec/abi/symbols.sh NM SRC LIB... : each shared library exports exactly
# its public API.  libmapbuf: the MAPBUF_API functions of mapbuf.h;
# libmapbuf-lua: the MAPBUF_LUA_API functions of mapbuf_lua.h; mapbuf.so:
# its three openers.  Nothing internal (lmb_*, mb_guard_*, the kernels'
# private helpers) may leak, and nothing public may be missing.
set -eu
nm=$1 src=$2
shift 2
status=0
# the names a header declares with its export macro
declared() {   # macro header
  sed -n "s/^$1 [^(]*[ *]\([a-z_0-9]*\)(.*/\1/p" "$2" | sort -u
}
for lib in "$@"; do
  case $(basename "$lib") in
    libmapbuf-lua*) want=$(declared MAPBUF_LUA_API "$src/lua/mapbuf_lua.h") ;;
    libmapbuf*) want=$(declared MAPBUF_API "$src/core/mapbuf.h") ;;
    mapbuf.so) want=$(printf 'luaopen_mapbuf\nluaopen_mapbuf_maps\nluaopen_mapbuf_ring\n') ;;
    *) echo "symbols: what is $lib?"; exit 2 ;;
  esac
  # defined, global, functions and data; not the version nodes (absolute)
  got=$("$nm" -D --defined-only "$lib" | awk '$2 != "A" {print $3}' | sed 's/@.*//' | sort -u)
  extra=$(printf '%s\n' "$got" | grep -vxF "$want" || true)
  missing=$(printf '%s\n' "$want" | grep -vxF "$got" || true)
  if [ -n "$extra" ]; then
    echo "$(basename "$lib") exports what is not public:"; echo "$extra" | sed 's/^/  /'
    status=1
  fi
  if [ -n "$missing" ]; then
    echo "$(basename "$lib") does not export:"; echo "$missing" | sed 's/^/  /'
    status=1
  fi
  echo "$(basename "$lib"): $(printf '%s\n' "$got" | wc -l) symbols"
done
exit $status
