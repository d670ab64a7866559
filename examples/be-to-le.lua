-- be-to-le.lua: turn a file of big-endian numbers into little-endian ones
-- (or back: the swap is its own inverse), in place, in C.
--
--   mapbuf -w examples/be-to-le.lua samples.raw [...] [-- TYPE]
--
-- TYPE is the element: i2 (default), i4, i8, f (float), d (double).  The
-- file's length must be a whole number of them.  An array over the file
-- in one order is copied onto an array over the same bytes in the other:
-- the copy reads its source whole first, so it may overlap itself.
-- numpy:  a = np.memmap(f, ">i2", "r+"); a[:] = a.astype("<i2")  (a view)

local t = arg[1] or "i2"
local sizes = {i2 = 2, i4 = 4, i8 = 8, f = 4, d = 8}
if not sizes[t] then error(("bad type '%s' (i2, i4, i8, f or d)"):format(t), 0) end

for i, m in ipairs {...} do
  local name = arg.files[i]
  if #m % sizes[t] ~= 0 then
    error(("%s: %d bytes are no whole number of %s"):format(name, #m, t), 0)
  end
  local big, little = m:array(">" .. t), m:array("<" .. t)
  little:copy(big)
  print(("%s: %d %s swapped"):format(name, #little, t))
end
