-- bench/transform_bench.lua FILE [REPS] - the LuaJIT FFI side of
-- bench/transform_bench.sh: the same jobs as plain loops over the mapped
-- file through ffi.cast pointers (what a LuaJIT user writes), CPU time
-- (os.clock), best of REPS.  Prints "job<TAB>luajit<TAB>ms" lines.
local ffi = require "ffi"
local bit = require "bit"
ffi.cdef [[
int open(const char *path, int flags, ...);
int close(int fd);
void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off);
int munmap(void *addr, size_t len);
void *memmove(void *d, const void *s, size_t n);
]]
local path, reps = arg[1], tonumber(arg[2] or 3)
local fh = assert(io.open(path, "rb"))
local n = fh:seek("end")
fh:close()
local fd = ffi.C.open(path, 2)   -- O_RDWR
assert(fd >= 0, "open " .. path)
local p = ffi.cast("uint8_t *", ffi.C.mmap(nil, n, 3, 1, fd, 0))   -- rw, shared
local h = n / 2

local T = dofile((arg[0]:match("^(.*)/") or ".") .. "/timing.lua")
local function best(job, fn) T.row("luajit", reps, job, fn) end

local s = 0
for i = 0, n - 1, 4096 do s = s + p[i] end   -- fault the pages in

local a4 = ffi.cast("int32_t *", p)
best("sum <i4", function()
  local sum = 0
  for i = 0, n / 4 - 1 do sum = sum + a4[i] end
  s = s + sum
end)

local a2 = ffi.cast("int16_t *", p)
local function mul(x)   -- round to nearest even by the 1.5 * 2^52 trick
  local M = 6755399441055744.0
  for i = 0, n / 2 - 1 do
    local r = (a2[i] * x + M) - M
    if r > 32767 then r = 32767 elseif r < -32768 then r = -32768 end
    a2[i] = r
  end
end
best("mul(0.5) <i2", function() mul(0.5) end)
best("mul(0.8) <i2", function() mul(0.8) end)

local tab = ffi.new("uint8_t[256]")
for i = 0, 255 do tab[i] = bit.band(i * 167 + 13, 255) end
best("translate", function()
  for i = 0, n - 1 do p[i] = tab[p[i]] end
end)
best("count byte", function()
  local c = 0
  for i = 0, n - 1 do if p[i] == 97 then c = c + 1 end end
  s = s + c
end)

local crctab = ffi.new("uint32_t[256]")
for i = 0, 255 do
  local c = i
  for _ = 1, 8 do
    if bit.band(c, 1) ~= 0 then c = bit.bxor(bit.rshift(c, 1), 0xEDB88320)
    else c = bit.rshift(c, 1) end
  end
  crctab[i] = c
end
best("crc32", function()
  local c = bit.bnot(0)
  for i = 0, n - 1 do
    c = bit.bxor(crctab[bit.band(bit.bxor(c, p[i]), 255)], bit.rshift(c, 8))
  end
  s = s + bit.bnot(c)
end)
best("adler32", function()
  local a, b, i = 1, 0, 0
  while i < n do
    local stop = math.min(n, i + 5552)
    for k = i, stop - 1 do a = a + p[k]; b = b + a end
    a, b, i = a % 65521, b % 65521, stop
  end
  s = s + a + b * 65536
end)

local src, dst = ffi.cast("uint16_t *", p), ffi.cast("uint16_t *", p + h)
best("copy <i2 -> >i2", function()
  for i = 0, h / 2 - 1 do
    local v = src[i]
    dst[i] = bit.bor(bit.rshift(v, 8), bit.lshift(bit.band(v, 255), 8))
  end
end)
local conv = ffi.new("float[?]", n / 4)
best("copy <i2 -> <f4", function()
  for i = 0, n / 4 - 1 do conv[i] = a2[i] end
end)
best("copy <f4 -> <i2", function()
  local M = 6755399441055744.0
  for i = 0, n / 4 - 1 do
    local r = (conv[i] + M) - M
    if r > 32767 then r = 32767 elseif r < -32768 then r = -32768 end
    a2[i] = r
  end
end)
best("memmove half", function() ffi.C.memmove(p, p + h, h) end)
ffi.C.munmap(p, n)
ffi.C.close(fd)
