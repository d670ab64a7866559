-- spec/lua/module_spec.lua: require "mapbuf", its constants, and the three
-- ways to make a map: open (by path and mode), map (Python's constructor)
-- and anon.
local mapbuf = require "mapbuf"
local H = require "spec.helper"

local PS = mapbuf.PAGESIZE

describe("the module", function()
  teardown(H.cleanup)

  it("loads from the stock interpreter and says its version", function()
    assert.equals("table", type(mapbuf))
    assert.matches("^mapbuf %d+%.%d+%.%d+$", mapbuf._VERSION)
    local out = H.run(H.q(H.lua) .. " -e 'print(require(\"mapbuf\")._VERSION)'")
    assert.equals(mapbuf._VERSION .. "\n", out)
  end)

  it("has the page size and allocation granularity of the platform", function()
    local ps = tonumber((H.run("getconf PAGESIZE")))
    assert.equals(ps, mapbuf.PAGESIZE)
    assert.is_true(mapbuf.ALLOCATIONGRANULARITY >= mapbuf.PAGESIZE)
    assert.equals(0, mapbuf.ALLOCATIONGRANULARITY % mapbuf.PAGESIZE)
  end)

  it("has Python's ACCESS_* numbers", function()
    assert.same({0, 1, 2, 3}, {mapbuf.ACCESS_DEFAULT, mapbuf.ACCESS_READ,
                               mapbuf.ACCESS_WRITE, mapbuf.ACCESS_COPY})
  end)

  it("has the PROT_, MAP_, MADV_ and MS_ constants Python's mmap has here", function()
    local out = H.python([[
import mmap
for n in sorted(dir(mmap)):
    if n.startswith(("PROT_", "MAP_", "MADV_")):
        print(n, getattr(mmap, n))
]])
    -- all of them but advice that poisons or offlines pages: mapbuf
    -- refuses those, so it does not offer them
    local refused = {MADV_HWPOISON = true, MADV_SOFT_OFFLINE = true}
    local n = 0
    for name, v in out:gmatch("(%S+) (%-?%d+)") do
      n = n + 1
      if refused[name] then
        assert.is_nil(mapbuf[name], name)
        assert.has_error(function() mapbuf.anon(PS):madvise(tonumber(v)) end,
                         "bad argument #1 to 'madvise' (invalid advice)")
      else
        assert.equals(tonumber(v), mapbuf[name], name)
      end
    end
    assert.is_true(n >= 15)
    -- msync flags, which Python does not export (Linux values)
    assert.equals(4, mapbuf.MS_SYNC)
    assert.equals(1, mapbuf.MS_ASYNC)
    assert.equals(2, mapbuf.MS_INVALIDATE)
    for k, v in pairs(mapbuf) do
      if k:match("^[A-Z][A-Z_]*$") then assert.equals(H.luaver >= 5.3 and "integer" or "number", H.numtype(v), k) end
    end
  end)

  it("has one MADV_ constant for each advice name madvise takes", function()
    local m = mapbuf.anon(PS)
    for k, v in pairs(mapbuf) do
      local name = k:match("^MADV_(.*)$")
      if name then
        -- the same answer by name and by number (some advice is refused
        -- for shared memory: then both refuse with the same errno)
        local a = table.pack(m:madvise(name:lower()))
        local b = table.pack(m:madvise(v))
        assert.same(a, b, name)
        assert.is_true(a[1] == true or H.numtype(a[3]) == (H.luaver >= 5.3 and "integer" or "number"), name)
      end
    end
  end)
end)

describe("mapbuf.open", function()
  teardown(H.cleanup)

  it("maps a file read-only by default", function()
    local m = assert(mapbuf.open(H.file("hello")))
    assert.equals(5, #m)
    assert.equals("hello", m:sub(1))
    assert.matches("access=read", tostring(m))
    assert.has_error(function() m[1] = 65 end)
    assert.has_error(function() m:set(1, "x") end)
    m:close()
  end)

  it("mode r+ writes through to the file", function()
    local p = H.file("hello")
    local m = assert(mapbuf.open(p, "r+"))
    m:set(1, "J")
    m[5] = string.byte("y")
    assert.is_true(m:flush())
    assert.equals("Jelly", H.readfile(p))
    m:close()
  end)

  it("mode c writes to the map only, never to the file", function()
    local p = H.file("hello")
    local m = assert(mapbuf.open(p, "c"))
    m:set(1, "HELLO")
    assert.equals("HELLO", m:sub(1))
    assert.is_true(m:flush())
    m:close()
    assert.equals("hello", H.readfile(p))
  end)

  it("mode w+ creates or truncates the file to size", function()
    local p = H.tmpname()
    local m = assert(mapbuf.open(p, "w+", {size = 10}))
    assert.equals(10, #m)
    assert.equals(string.rep("\0", 10), m:sub(1))
    m:set(1, "0123456789")
    m:close()
    assert.equals("0123456789", H.readfile(p))
    m = assert(mapbuf.open(p, "w+", {size = 3}))
    assert.equals("\0\0\0", m:sub(1))
    m:close()
    assert.equals("\0\0\0", H.readfile(p))
  end)

  it("mode w+ needs a size", function()
    local p = H.tmpname()
    assert.has_error(function() mapbuf.open(p, "w+") end,
                     'mapbuf: open: mode "w+" needs a size')
    assert.has_error(function() mapbuf.open(p, "w+", {}) end)
  end)

  it("accepts a trailing b in the mode, as io.open does", function()
    local m = assert(mapbuf.open(H.file("ab"), "rb"))
    assert.equals("ab", m:sub(1))
    m = assert(mapbuf.open(H.file("ab"), "r+b"))
    assert.matches("access=write", tostring(m))
  end)

  it("size extends a file but never shrinks it", function()
    local p = H.file("abc")
    local m = assert(mapbuf.open(p, "r+", {size = 8}))
    assert.equals(8, #m)
    assert.equals("abc\0\0\0\0\0", m:sub(1))
    m:close()
    m = assert(mapbuf.open(p, "r+", {size = 2}))
    assert.equals(8, #m)
    m:close()
  end)

  it("size needs mode r+ or w+", function()
    local p = H.file("abc")
    assert.has_error(function() mapbuf.open(p, "r", {size = 10}) end)
    assert.has_error(function() mapbuf.open(p, "c", {size = 10}) end)
    assert.equals("abc", H.readfile(p))
  end)

  it("offset and length pick a window of the file", function()
    local s = string.rep("a", PS) .. "bcdef"
    local p = H.file(s)
    local m = assert(mapbuf.open(p, "r", {offset = PS}))
    assert.equals("bcdef", m:sub(1))
    assert.matches("offset=" .. PS, tostring(m))
    m = assert(mapbuf.open(p, "r", {offset = PS, length = 2}))
    assert.equals("bc", m:sub(1))
    m = assert(mapbuf.open(p, "r", {length = 3}))
    assert.equals("aaa", m:sub(1))
  end)

  it("refuses an offset that is not a multiple of ALLOCATIONGRANULARITY", function()
    local p = H.file(string.rep("x", 2 * PS))
    assert.has_error(function() mapbuf.open(p, "r", {offset = 100}) end,
      "mapbuf: open: offset is not a multiple of ALLOCATIONGRANULARITY")
  end)

  it("refuses a length or offset beyond the file", function()
    local p = H.file("abc")
    assert.has_error(function() mapbuf.open(p, "r", {length = 4}) end)
    assert.has_error(function() mapbuf.open(p, "r", {offset = 2 * PS}) end)
  end)

  it("maps an empty file as a zero-length map", function()
    local m = assert(mapbuf.open(H.file("")))
    assert.equals(0, #m)
    assert.equals("", m:sub(1))
    assert.is_nil(m[1])
    assert.equals("", m:read("a"))
    assert.is_nil(m:read(1))
    m:close()
  end)

  it("populate prefaults and changes nothing else", function()
    local m = assert(mapbuf.open(H.file("xyz"), "r", {populate = true}))
    assert.equals("xyz", m:sub(1))
  end)

  it("returns nil, a message naming the path, and errno when the OS refuses", function()
    local p = H.tmpname() .. "/nope"
    local m, msg, errno = mapbuf.open(p)
    assert.is_nil(m)
    assert.equals(p .. ": No such file or directory", msg)
    assert.equals(2, errno)
    local ro = H.file("x")
    os.execute("chmod 444 " .. H.q(ro))
    if H.run("id -u") ~= "0\n" then   -- root may write anything
      local _, msg2, e2 = mapbuf.open(ro, "r+")
      assert.matches("Permission denied", msg2)
      assert.equals(13, e2)
    end
    local d = H.tmpname(); os.execute("mkdir " .. H.q(d))
    local _, msg3, e3 = mapbuf.open(d, "r+")
    assert.matches("^" .. d:gsub("%p", "%%%0") .. ": ", msg3)
    assert.equals(H.luaver >= 5.3 and "integer" or "number", H.numtype(e3))
  end)

  it("works with assert", function()
    local ok, err = pcall(function() return assert(mapbuf.open("/no/such/file")) end)
    assert.is_false(ok)
    assert.matches("/no/such/file: No such file or directory", err)
  end)

  it("raises for misuse", function()
    local p = H.file("abc")
    assert.has_error(function() mapbuf.open() end)
    assert.has_error(function() mapbuf.open({}) end)
    assert.has_error(function() mapbuf.open(p, "x") end,
                     "bad argument #2 to 'open' (invalid mode)")
    assert.has_error(function() mapbuf.open(p, "r", 5) end)
    assert.has_error(function() mapbuf.open(p, "r", {length = -1}) end)
    assert.has_error(function() mapbuf.open(p, "r", {length = 1.5}) end)
    assert.has_error(function() mapbuf.open(p, "r", {offset = 0/0}) end)
    assert.has_error(function() mapbuf.open(p, "r", {offset = math.huge}) end)
    assert.has_error(function() mapbuf.open(p, "r+", {size = "big"}) end)
    assert.has_error(function() mapbuf.open(p, "r+", {size = H.minint}) end)
  end)

  it("takes integral floats where it takes integers", function()
    local m = assert(mapbuf.open(H.file("abcdef"), "r", {length = 3.0}))
    assert.equals("abc", m:sub(1.0, 3.0))
  end)
end)

describe("mapbuf.map", function()
  teardown(H.cleanup)

  it("maps a Lua file handle, whose buffered writes it flushes first", function()
    local p = H.tmpname()
    local f = assert(io.open(p, "w+b"))
    f:write("hello world")   -- still in stdio's buffer
    local m = assert(mapbuf.map(f, 0))
    assert.equals("hello world", m:sub(1))
    m:set(1, "J")
    m:close()
    f:close()
    assert.equals("Jello world", H.readfile(p))
  end)

  it("maps an integer descriptor", function()
    local p = H.file("0123456789")
    -- /dev/fd of a file opened by the shell is not ours; use a Lua handle's
    -- descriptor through a second map instead
    local f = assert(io.open(p, "rb"))
    local m1 = assert(mapbuf.map(f, 4, {access = "read"}))
    assert.equals("0123", m1:sub(1))
    f:close()
    -- the map keeps its own duplicate of the descriptor
    assert.equals(10, m1:size())
  end)

  it("refuses a closed Lua file", function()
    local f = assert(io.open(H.file("abc"), "rb"))
    f:close()
    assert.has_error(function() mapbuf.map(f, 0) end,
                     "bad argument #1 to 'map' (attempt to use a closed file)")
  end)

  it("maps anonymous memory for -1", function()
    local m = assert(mapbuf.map(-1, 100))
    assert.equals(100, #m)
    assert.equals(string.rep("\0", 100), m:sub(1))
    m[100] = 7
    assert.equals(7, m[100])
    assert.equals(100, m:size())
  end)

  it("length 0 maps the rest of the file; an empty file raises, as in Python", function()
    local f = assert(io.open(H.file("abc"), "rb"))
    assert.equals("abc", mapbuf.map(f, 0, {access = "read"}):sub(1))
    local e = assert(io.open(H.file(""), "rb"))
    assert.has_error(function() mapbuf.map(e, 0) end,
                     "mapbuf: map: cannot map an empty file")
  end)

  it("refuses a length or an offset beyond the file", function()
    local f = assert(io.open(H.file("abc"), "r+b"))
    assert.has_error(function() mapbuf.map(f, 4) end,
                     "mapbuf: map: length is greater than file size")
    assert.has_error(function() mapbuf.map(f, 0, {offset = PS}) end)
  end)

  it("access read, write, copy and default, by name or by constant", function()
    local p = H.file("abc")
    local f = assert(io.open(p, "r+b"))
    local r = assert(mapbuf.map(f, 0, {access = "read"}))
    assert.has_error(function() r[1] = 1 end)
    r = assert(mapbuf.map(f, 0, {access = mapbuf.ACCESS_READ}))
    assert.matches("access=read", tostring(r))
    local w = assert(mapbuf.map(f, 0, {access = mapbuf.ACCESS_WRITE}))
    w:set(1, "A")
    local c = assert(mapbuf.map(f, 0, {access = "copy"}))
    c:set(2, "B")
    assert.equals("ABc", c:sub(1))
    local d = assert(mapbuf.map(f, 0))   -- default: shared, read-write
    assert.matches("access=default", tostring(d))
    d:set(3, "C")
    w:close(); c:close(); d:close(); f:close()
    assert.equals("AbC", H.readfile(p))
  end)

  it("refuses both access and flags or prot, and a bad access", function()
    local f = assert(io.open(H.file("abc"), "r+b"))
    assert.has_error(function()
      mapbuf.map(f, 0, {access = "read", prot = mapbuf.PROT_READ})
    end, "mapbuf: map: cannot specify both access and flags, prot")
    assert.has_error(function()
      mapbuf.map(f, 0, {access = "write", flags = mapbuf.MAP_PRIVATE})
    end)
    assert.has_error(function() mapbuf.map(f, 0, {access = "nope"}) end)
    assert.has_error(function() mapbuf.map(f, 0, {access = 9}) end)
    assert.has_error(function() mapbuf.map(f, 0, {access = -1}) end)
  end)

  it("flags and prot decide sharing and writability", function()
    local p = H.file("abc")
    local f = assert(io.open(p, "r+b"))
    local r = assert(mapbuf.map(f, 0, {prot = mapbuf.PROT_READ}))
    assert.matches("access=read", tostring(r))
    assert.has_error(function() r:set(1, "x") end)
    local priv = assert(mapbuf.map(f, 0, {flags = mapbuf.MAP_PRIVATE}))
    priv:set(1, "X")
    priv:close()
    assert.equals("abc", H.readfile(p))
  end)

  it("trackfd = false keeps no descriptor: size and resize refuse", function()
    local f = assert(io.open(H.file("abcdef"), "r+b"))
    local m = assert(mapbuf.map(f, 0, {trackfd = false}))
    assert.equals("abcdef", m:sub(1))
    assert.has_error(function() m:size() end,
                     "mapbuf: size: file descriptor is not tracked")
    assert.has_error(function() m:resize(3) end)
  end)

  it("raises for misuse", function()
    assert.has_error(function() mapbuf.map() end)
    assert.has_error(function() mapbuf.map("file", 1) end)
    assert.has_error(function() mapbuf.map(-2, 1) end)
    assert.has_error(function() mapbuf.map(-1, -1) end,
                     "bad argument #2 to 'map' (length must not be negative)")
    assert.has_error(function() mapbuf.map(-1, 0/0) end)
    assert.has_error(function() mapbuf.map(-1, 1.5) end)
    assert.has_error(function() mapbuf.map(-1, 1, {offset = -4096}) end)
    assert.has_error(function() mapbuf.map(-1, 1, {flags = "shared"}) end)
  end)

  it("returns nil, message, errno when the OS refuses", function()
    local m, msg, e = mapbuf.map(1000000, 10)   -- no such descriptor
    assert.is_nil(m)
    assert.equals("Bad file descriptor", msg)
    assert.equals(9, e)
    m, msg, e = mapbuf.map(-1, H.maxint)
    assert.is_nil(m)
    assert.equals(12, e)
  end)
end)

describe("mapbuf.anon", function()
  it("gives zeroed read-write memory", function()
    local m = assert(mapbuf.anon(PS + 1))
    assert.equals(PS + 1, #m)
    for _, i in ipairs{1, PS, PS + 1} do assert.equals(0, m[i]) end
    m:fill(255)
    assert.equals(255, m[PS + 1])
    assert.equals(PS + 1, m:size())
    assert.matches("access=write", tostring(m))
  end)

  it("of size 0 is an empty map", function()
    local m = assert(mapbuf.anon(0))
    assert.equals(0, #m)
    assert.is_nil(m[1])
  end)

  it("shared memory cannot grow but can shrink; private memory can grow", function()
    local s = assert(mapbuf.anon(PS))
    assert.has_error(function() s:resize(2 * PS) end,
                     "mapbuf: resize: cannot grow a shared anonymous map")
    s:set(1, "keep")
    assert.equals(s, s:resize(10))
    assert.equals("keep", s:sub(1, 4))
    local p = assert(mapbuf.anon(10, {private = true}))
    p:set(1, "keep")
    p:resize(3 * PS)
    assert.equals(3 * PS, #p)
    assert.equals("keep", p:sub(1, 4))
    assert.equals(0, p[3 * PS])
  end)

  it("raises for misuse and reports what the OS refuses", function()
    assert.has_error(function() mapbuf.anon(-1) end)
    assert.has_error(function() mapbuf.anon("x") end)
    assert.has_error(function() mapbuf.anon(2^70) end)
    assert.has_error(function() mapbuf.anon(1, 1) end)
    local m, msg, e = mapbuf.anon(H.maxint)
    assert.is_nil(m)
    assert.is_string(msg)
    assert.equals(12, e)
  end)
end)

-- The glue of mapbuf_lua.h, driven from a tiny C module compiled here and
-- linked against the glue library of the build (libmapbuf-lua, which
-- brings libmapbuf): mapbuf.so itself exports nothing but its openers.
describe("the embedding glue", function()
  teardown(H.cleanup)

  local glue
  setup(function()
    local src = H.file([[
#include <stdlib.h>
#include <string.h>
#include "lua.h"
#include "lauxlib.h"
#include "mapbuf_lua.h"

static int released;
static void release(void *ud, void *p, size_t len) {
  (void)len;
  if (ud == p) released++;
  free(p);
}
/* pushmemory(s, writable): host memory holding a copy of s */
static int pushmemory(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  char *p = malloc(n ? n : 1);
  memcpy(p, s, n);
  if (mapbuf_pushmemory(L, p, n, lua_toboolean(L, 2), release, p) != 0)
    return luaL_error(L, "pushmemory failed");
  return 1;
}
static int pushnull(lua_State *L) {   /* NULL with a length: refused */
  lua_pushinteger(L, mapbuf_pushmemory(L, NULL, 5, 0, release, NULL));
  lua_pushinteger(L, lua_gettop(L));
  return 2;
}
static int pushanon(lua_State *L) {
  mb_map *m;
  if (mb_anon(&m, (size_t)luaL_checkinteger(L, 1), 1) != 0) return 0;
  mapbuf_pushmap(L, m);
  return 1;
}
static int nreleased(lua_State *L) { lua_pushinteger(L, released); return 1; }
static int check(lua_State *L) {
  size_t len; int w;
  unsigned char *p = mapbuf_checkmap(L, 1, &len, &w);
  lua_pushinteger(L, (lua_Integer)len);
  lua_pushboolean(L, w);
  lua_pushlstring(L, (char *)p, len);
  return 3;
}
static int test(lua_State *L) {
  size_t len; int w;
  lua_pushinteger(L, 0);   /* a relative index must work too */
  unsigned char *p = mapbuf_testmap(L, -2, &len, &w);
  if (p == NULL) return 0;
  lua_pushinteger(L, (lua_Integer)len);
  lua_pushboolean(L, w);
  return 2;
}
int luaopen_gluetest(lua_State *L) {
  static const luaL_Reg f[] = {{"pushmemory", pushmemory}, {"pushnull", pushnull},
    {"pushanon", pushanon}, {"released", nreleased}, {"check", check},
    {"test", test}, {NULL, NULL}};
#ifdef luaL_newlib
  luaL_newlib(L, f);
#else
  lua_newtable(L);            /* Lua 5.1 */
  luaL_register(L, NULL, f);
#endif
  return 1;
}
]], ".c")
    local dir = H.tmpname()
    os.execute("mkdir -p " .. H.q(dir))
    local so = dir .. "/gluetest.so"
    local cmd = (H.cc .. " -std=c11 -shared -fPIC -o %s %s -I%s/src/lua -I%s/src/core -I%s"
                 .. " -L%s -lmapbuf-lua -lmapbuf -Wl,-rpath,%s 2>&1")
      :format(H.q(so), H.q(src), H.q(H.src), H.q(H.src), H.q(H.luainc), H.q(H.build), H.q(H.build))
    local out, code = H.run(cmd)
    assert(code == 0, out)
    glue = assert(package.loadlib(so, "luaopen_gluetest"))()
  end)

  it("pushes host memory as a map with every method", function()
    local m = glue.pushmemory("hello world", true)
    assert.equals(11, #m)
    assert.equals("hello", m:read(5))
    m[1] = string.byte("J")
    m:set(7, "W")
    assert.equals("Jello World", m:sub(1))
    assert.equals(7, (m:find("World", 1, true)))
    assert.equals("ello", m:view(2, 5):sub(1))
    assert.is_true(m:flush())
    assert.equals(11, m:size())
    assert.matches("access=write", tostring(m))
    assert.has_error(function() m:resize(20) end,
                     "mapbuf: resize: cannot resize borrowed memory")
  end)

  it("read-only host memory refuses writes", function()
    local m = glue.pushmemory("abc", false)
    assert.has_error(function() m[1] = 1 end)
    assert.has_error(function() m:write("x") end)
    assert.equals("abc", m:sub(1))
  end)

  it("calls release once, on close or on collection", function()
    collectgarbage(); collectgarbage()   -- maps of the specs above
    local before = glue.released()
    local m = glue.pushmemory("abc", true)
    m:close(); m:close()
    assert.equals(before + 1, glue.released())
    do local _ = glue.pushmemory("xyz", true) end
    collectgarbage(); collectgarbage()
    assert.equals(before + 2, glue.released())
  end)

  it("refuses NULL memory with a length, pushing nothing", function()
    local rc, top = glue.pushnull()
    assert.is_true(rc < 0)
    assert.equals(1, top)   -- only rc was on the stack when top was taken
  end)

  it("pushes a core map", function()
    local m = glue.pushanon(100)
    assert.equals(100, #m)
    m:resize(200)
    assert.equals(200, #m)
  end)

  it("gives the host the bytes of a live map; raises or says nil otherwise", function()
    local m = mapbuf.anon(4)
    m:set(1, "abcd")
    assert.same({4, true, "abcd"}, {glue.check(m)})
    assert.same({2, true, "bc"}, {glue.check(m:view(2, 3))})
    local r = assert(mapbuf.open(H.file("xyz")))
    assert.same({3, false, "xyz"}, {glue.check(r)})
    assert.same({3, false}, {glue.test(r)})
    assert.is_nil(glue.test("string"))
    assert.is_nil(glue.test(io.stdout))
    assert.has_error(function() glue.check({}) end)
    r:close()
    assert.is_nil(glue.test(r))
    assert.has_error(function() glue.check(r) end, "mapbuf: map is closed")
    local p = mapbuf.anon(10, {private = true})
    local v = p:view(5)
    p:resize(2)
    assert.is_nil(glue.test(v))
    assert.has_error(function() glue.check(v) end, "mapbuf: view is out of range of its map")
  end)
end)
