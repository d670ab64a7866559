-- pcm-normalize.lua: scale raw 16-bit little-endian PCM so that its
-- loudest sample reaches a peak (default 0 dBFS, 32767), in place.
--
--   mapbuf -w examples/pcm-normalize.lua audio.raw [...] [-- PEAK]
--
-- PEAK is a sample value (30000) or decibels below full scale (-1dB).
-- One pass finds the peak (a:min, a:max), one scales (a:mul: rounds half
-- to even, saturates), both in C over a typed array of the samples.
-- numpy:  a = np.memmap(f, "<i2", "r+"); a[:] = np.rint(a * (p / peak))

local want = arg[1] or "32767"
local db = want:match("^([+-]?%d*%.?%d+)[dD][bB]$")
local target = db and 32767 * 10 ^ (tonumber(db) / 20) or tonumber(want)
if not target or target ~= target or target <= 0 or target > 32767 then
  error(("bad peak '%s' (a sample value up to 32767, or decibels such as -1dB)")
        :format(want), 0)
end

for i, m in ipairs {...} do
  local name = arg.files[i]
  if #m % 2 ~= 0 then error(name .. ": an odd number of bytes is no 16-bit PCM", 0) end
  local a = m:array("<i2")
  local peak = math.max(-(a:min() or 0), a:max() or 0)
  if peak == 0 then
    print(("%s: %d samples, all silent: left as they are"):format(name, #a))
  else
    a:mul(target / peak)
    print(("%s: %d samples, peak %d -> %d (x%.4f)"):format(name, #a, peak,
          math.max(-a:min(), a:max()), target / peak))
  end
end
