-- elf-header.lua: print the header of an ELF file as `readelf -h` does.
--
--   mapbuf examples/elf-header.lua build/mapbuf
--
-- ELF32 and ELF64, either byte order.  Like readelf, it tells a
-- position-independent executable from a shared object by the PIE flag in
-- the dynamic section.

local m = ...
assert(m, "usage: mapbuf examples/elf-header.lua file")
if #m < 16 or m:sub(1, 4) ~= "\127ELF" then
  error(arg.files[1] .. ": not an ELF file", 0)
end

local class, data, version, osabi, abiversion = m:unpack("BBBBB", 5)
if (class ~= 1 and class ~= 2) or (data ~= 1 and data ~= 2) then
  error(arg.files[1] .. ": unknown ELF class or byte order", 0)
end
local E = data == 1 and "<" or ">"
local ADDR = class == 2 and "I8" or "I4"   -- addresses and offsets
if #m < (class == 2 and 64 or 52) then
  error(arg.files[1] .. ": the ELF header is cut short", 0)
end

local h = {}
h.type, h.machine, h.version, h.entry, h.phoff, h.shoff, h.flags, h.ehsize,
  h.phentsize, h.phnum, h.shentsize, h.shnum, h.shstrndx =
  m:unpack(E .. "I2I2I4" .. ADDR .. ADDR .. ADDR .. "I4I2I2I2I2I2I2", 17)

local MACHINE = {
  [0] = "None", [2] = "Sparc", [3] = "Intel 80386", [8] = "MIPS R3000",
  [20] = "PowerPC", [21] = "PowerPC64", [22] = "IBM S/390", [40] = "ARM",
  [43] = "Sparc v9", [62] = "Advanced Micro Devices X86-64",
  [183] = "AArch64", [243] = "RISC-V", [258] = "LoongArch",
}
local OSABI = {
  [0] = "UNIX - System V", [1] = "UNIX - HP-UX", [2] = "UNIX - NetBSD",
  [3] = "UNIX - GNU", [6] = "UNIX - Solaris", [9] = "UNIX - FreeBSD",
  [12] = "UNIX - OpenBSD", [97] = "ARM", [255] = "Standalone App",
}

-- Does the dynamic section carry DF_1_PIE in DT_FLAGS_1?
local function ispie()
  local PT_DYNAMIC, DT_FLAGS_1, DF_1_PIE = 2, 0x6ffffffb, 0x08000000
  local phdr = E .. (class == 2 and "I4I4I8" or "I4I4")
  local dyn = E .. (class == 2 and "i8I8" or "i4I4")
  local dsize = class == 2 and 16 or 8
  for i = 0, h.phnum - 1 do
    local at = h.phoff + i * h.phentsize
    if at + h.phentsize > #m then return false end
    local ptype, a, b = m:unpack(phdr, at + 1)
    local offset = class == 2 and b or a   -- ELF64 has p_flags first
    if ptype == PT_DYNAMIC then
      for d = offset, #m - dsize, dsize do
        local tag, val = m:unpack(dyn, d + 1)
        if tag == 0 then return false end
        -- DF_1_PIE is one bit (2^27): whether it is set in val
        if tag == DT_FLAGS_1 then return math.floor(val / DF_1_PIE) % 2 == 1 end
      end
      return false
    end
  end
  return false
end

local function typename(t)
  if t == 0 then return "NONE (None)"
  elseif t == 1 then return "REL (Relocatable file)"
  elseif t == 2 then return "EXEC (Executable file)"
  elseif t == 3 then
    return ispie() and "DYN (Position-Independent Executable file)"
                   or "DYN (Shared object file)"
  elseif t == 4 then return "CORE (Core file)"
  end
  return ("<unknown>: %x"):format(t)
end

local function field(name, fmt, ...)
  print(("  %-35s" .. fmt):format(name .. ":", ...))
end

print("ELF Header:")
print("  Magic:   " .. ("%02x "):rep(16):format(m:byte(1, 16)))
field("Class", "%s", class == 2 and "ELF64" or "ELF32")
field("Data", "%s", data == 1 and "2's complement, little endian"
                                or "2's complement, big endian")
field("Version", "%d%s", version, version == 1 and " (current)" or "")
field("OS/ABI", "%s", OSABI[osabi] or ("<unknown: %x>"):format(osabi))
field("ABI Version", "%d", abiversion)
field("Type", "%s", typename(h.type))
field("Machine", "%s", MACHINE[h.machine] or ("<unknown>: 0x%x"):format(h.machine))
field("Version", "0x%x", h.version)
field("Entry point address", "0x%x", h.entry)
field("Start of program headers", "%d (bytes into file)", h.phoff)
field("Start of section headers", "%d (bytes into file)", h.shoff)
field("Flags", "0x%x", h.flags)
field("Size of this header", "%d (bytes)", h.ehsize)
field("Size of program headers", "%d (bytes)", h.phentsize)
field("Number of program headers", "%d", h.phnum)
field("Size of section headers", "%d (bytes)", h.shentsize)
field("Number of section headers", "%d", h.shnum)
field("Section header string table index", "%d", h.shstrndx)
