-- methods_spec.lua - every method of the map object once more on Windows,
-- over a Win32 view of a file, with the answers Lua's string and file
-- functions give for the same bytes (the busted specs do this in depth on
-- Linux; here the point is that each method works over the Win32 backend).
local H = require "helper"
local mapbuf = require "mapbuf"

local text = "alpha=1\nbeta=22\ngamma=333\n" .. string.rep("x", 70000) .. "\nend"

local function filemap(s)
  local f = H.tmpname("m")
  H.writefile(f, s)
  return assert(mapbuf.open(f, "r+")), f
end

H.test("random access: #m, m[i], byte, sub, set, fill, move", function()
  local m = filemap(text)
  assert(#m == #text and m[1] == text:byte(1) and m[-1] == text:byte(-1))
  assert(m[#m + 1] == nil and m[0] == nil)
  local a, b, c = m:byte(1, 3)
  assert(a == 97 and b == 108 and c == 112)
  assert(m:sub(-3) == "end" and m:sub(9, 15) == text:sub(9, 15))
  m[1] = string.byte("A")
  assert(m:sub(1, 5) == "Alpha")
  m:set(-3, "END")
  assert(m:sub(-3) == "END")
  m:fill(0x2d, 30, 39)
  assert(m:sub(30, 39) == string.rep("-", 10))
  m:fill("ab", 40, 44)
  assert(m:sub(40, 44) == "ababa")
  m:move(100, 1, 5)
  assert(m:sub(100, 104) == "Alpha")
  m:close()
end)

H.test("views and arrays", function()
  local m = filemap(text)
  local v = m:view(9, 15)
  assert(#v == 7 and v:sub(1) == "beta=22")
  v[1] = string.byte("B")
  assert(m:sub(9, 12) == "Beta")
  local a = mapbuf.anon(64):array("<i4")
  assert(#a == 16)
  a:fill(3):add(2):mul(3)
  assert(a[1] == 15 and a:sum() == 240 and a:min() == 15 and a:max() == 15)
  a[2] = -100
  a:clamp(0, 10)
  assert(a[1] == 10 and a[2] == 0)
  local b = mapbuf.anon(64):array(">i4")
  b:copy(a)
  assert(b[1] == 10 and b:sum() == a:sum())
  m:close()
end)

H.test("transforms: translate, count, crc32, adler32", function()
  local m = filemap("hello world")
  local t = {}
  for i = 0, 255 do t[i + 1] = string.char(i) end
  t[string.byte("o") + 1] = "0"
  m:translate(table.concat(t))
  assert(m:sub(1) == "hell0 w0rld" and m:count("0") == 2)
  assert(mapbuf.anon(0):crc32() == 0)
  local z = filemap("123456789")
  assert(z:crc32() == 0xCBF43926 and z:adler32() == 0x091E01DE)
  m:close(); z:close()
end)

H.test("search: find, match, gmatch, rfind", function()
  local m = filemap(text)
  assert(m:find("gamma=(%d+)") == text:find("gamma=(%d+)"))
  assert(select(3, m:find("gamma=(%d+)")) == "333")
  assert(m:find("=", 1, true) == 6)
  assert(m:match("(%a+)=(%d+)", 9) == "beta")
  local keys = {}
  for k, v in m:gmatch("(%a+)=(%d+)") do keys[#keys + 1] = k .. v end
  assert(table.concat(keys, ",") == "alpha1,beta22,gamma333")
  assert(m:rfind("\n") == #text - 3)
  assert(m:find("x", 30) == text:find("x", 30))
  m:close()
end)

H.test("pack and unpack in place", function()
  local m = mapbuf.anon(64)
  m:pack(1, "<i8 z s1", -2, "zero", "one")
  local a, b, c = m:unpack("<i8 z s1")
  assert(a == -2 and b == "zero" and c == "one")
  m:close()
end)

H.test("the stream: seek, tell, read, lines, write, readline, bytes", function()
  local m = filemap(text)
  assert(m:seekable() and m:tell() == 0)
  assert(m:read("l") == "alpha=1" and m:tell() == 8)
  assert(m:read("L") == "beta=22\n")
  assert(m:readline() == "gamma=333\n")
  assert(m:read(3) == "xxx")
  assert(m:seek("end", -3) == #text - 3 and m:read("a") == "end")
  assert(m:read(1) == nil and m:read("a") == "")
  m:seek("set")
  local n = 0
  for _ in m:lines() do n = n + 1 end
  assert(n == 5)
  m:seek("set", 0)
  m:write("ALPHA", 1)
  assert(m:sub(1, 6) == "ALPHA1" and m:tell() == 6)
  m:seek("set", 0)
  assert(m:read_byte() == string.byte("A"))
  m:write_byte(76)
  assert(m:sub(1, 2) == "AL")
  m:seek("set", 0)
  assert(m:read("n") == nil)
  m:close()
end)

H.test("the mapping: size, resize, flush, madvise, close, closed, tostring", function()
  local m, f = filemap(text)
  assert(m:size() == #text)
  m:resize(10)
  assert(#m == 10 and m:size() == 10)
  assert(m:flush() and m:flush(1, 5, mapbuf.MS_ASYNC))
  assert(m:madvise("willneed", 1, 5))
  assert(tostring(m):find("^mapbuf%.map%(length=10, access=write"))
  assert(not m:closed() and m:close() and m:closed() and m:close())
  assert(tostring(m) == "mapbuf.map(closed)")
  H.raises("closed", function() return m[1] end)
  assert(#H.readfile(f) == 10)
end)

H.test("metamethods: == and __close", function()
  local m = filemap("ab")
  assert(m == m and m:view() ~= nil)
  do
    local c <close> = mapbuf.anon(16)
    c[1] = 1
  end
  m:close()
end)

H.test("misuse raises naming the function", function()
  local m = filemap("abc")
  H.raises("sub", m.sub, m, "x")
  H.raises("bad argument", function() m[1] = 300 end)
  H.raises("out of range", m.move, m, 1, 2, 10)
  m:close()
end)

H.done()
