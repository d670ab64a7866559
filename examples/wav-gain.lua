-- wav-gain.lua: change the gain of a 16-bit PCM WAV file in place,
-- clipping samples that would overflow.
--
--   mapbuf -w examples/wav-gain.lua sound.wav [...] -- GAIN
--
-- GAIN is a factor (0.5, 2) or decibels (-6dB, +3.5dB).  Each sample
-- becomes sample * factor rounded to the nearest integer (halves to even,
-- as numpy's rint) and clipped to -32768 .. 32767: one call over a typed
-- array of the samples, in C.  Prints what it did; exit status 0.

local gain = arg[1] or error("usage: mapbuf -w examples/wav-gain.lua file.wav -- GAIN", 0)
local factor
local db = gain:match("^([+-]?%d*%.?%d+)[dD][bB]$")
if db then factor = 10 ^ (tonumber(db) / 20) else factor = tonumber(gain) end
if not factor or factor ~= factor or factor < 0 or factor == math.huge then
  error(("bad gain '%s' (a factor such as 0.5, or decibels such as -6dB)"):format(gain), 0)
end

-- The fmt fields and the data chunk's bounds (1-based, inclusive).
local function parse(m, name)
  if #m < 12 or m:sub(1, 4) ~= "RIFF" or m:sub(9, 12) ~= "WAVE" then
    error(name .. ": not a WAV file", 0)
  end
  local fmt, pos = nil, 13
  while pos + 7 <= #m do
    local id, size = m:unpack("<c4I4", pos)
    local body = pos + 8
    if id == "fmt " then
      local tag, channels, rate, _, _, bits = m:unpack("<I2I2I4I4I2I2", body)
      if tag == 0xFFFE and size >= 40 then    -- WAVE_FORMAT_EXTENSIBLE
        tag = m:unpack("<I2", body + 24)      -- the sub-format's first word
      end
      fmt = {tag = tag, channels = channels, rate = rate, bits = bits}
    elseif id == "data" then
      if not fmt then error(name .. ": data before fmt", 0) end
      if fmt.tag ~= 1 or fmt.bits ~= 16 then
        error(("%s: only 16-bit PCM is handled (format %d, %d bits)")
              :format(name, fmt.tag, fmt.bits), 0)
      end
      local last = math.min(body + size - 1, #m)  -- a cut file: what is there
      return fmt, body, last - (last - body + 1) % 2
    end
    pos = body + size + size % 2      -- chunks are padded to even sizes
  end
  error(name .. ": no data chunk", 0)
end

-- The loudest sample of an array of them, as a magnitude.
local function peak(a)
  local lo, hi = a:min() or 0, a:max() or 0
  return math.max(-lo, hi)
end

local function scale(m, name)
  local fmt, first, last = parse(m, name)
  local a = m:array("<i2", first, last)   -- the samples, where they lie
  local before = peak(a)
  a:mul(factor)                          -- rounds, saturates, in place
  local after = peak(a)
  print(("%s: 16-bit PCM, %d channel%s, %d Hz, %d samples; gain %g (%+.2f dB), peak %d -> %d%s")
        :format(name, fmt.channels, fmt.channels == 1 and "" or "s", fmt.rate, #a,
                factor, 20 * math.log(factor) / math.log(10), before, after,
                before * factor > 32767.5 and ", clipped" or ""))
end

if tostring((...) or ""):find("access=read", 1, true) then
  error("map the files writable: mapbuf -w examples/wav-gain.lua file.wav -- GAIN", 0)
end
for i, m in ipairs {...} do scale(m, arg.files[i]) end
