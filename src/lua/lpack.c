/*
** lpack.c - m:unpack(fmt [, pos]) and m:pack(pos, fmt, ...): string.pack's
** format language read from and written to the mapped bytes in place.
**
** The format language, its sizes, its alignment rules and its error
** messages are those of Lua 5.4's string.pack/string.unpack, so that
**   m:unpack(fmt, pos)   ==  string.unpack(fmt, m:sub(1, -1), pos)
**   m:pack(pos, fmt, ...) writes string.pack(fmt, ...) at pos.
** unpack reads the map directly (no copy); pack validates every value
** first and only then writes, straight into the map: all or nothing, and
** no allocation on either path for fixed-size formats.
*/
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lmapbuf.h"

#if defined(__GNUC__)
#define INLINE inline __attribute__((always_inline))
#else
#define INLINE inline
#endif

#define INTMAX_BYTES 16            /* widest integer option: i16 / I16 */
#define LINT ((int)sizeof(lua_Integer))

/* What one format item is. */
typedef enum {
  ISINT, ISUINT,                  /* integers, signed or not */
  ISFLOAT, ISNUMBER, ISDOUBLE,    /* f, n, d */
  ISFIXED,                        /* cN: exactly N bytes */
  ISCOUNTED,                      /* sN: length then bytes */
  ISZERO,                         /* z: bytes then a NUL */
  ISPAD,                          /* x: one padding byte */
  ISALIGN,                        /* Xop: padding up to op's alignment */
  ISNOTHING                       /* ' ', '<', '>', '=', '!n' */
} ItemKind;

/* The reader's state while walking a format. */
typedef struct Fmt {
  lua_State *L;
  const char *p;        /* next character of the format */
  int farg;             /* stack index of the format (for argument errors) */
  int little;           /* current endianness */
  int maxalign;         /* current '!' limit */
} Fmt;

static int host_little (void) {
  const union { int i; char c; } u = {1};
  return u.c;
}

/* The natural alignment limit of '!' without a number: what C gives the
** most demanding of Lua's basic types (the same as luaconf's choice). */
struct maxalign_probe { char c; union { LUAI_MAXALIGN; } u; };
#define DEFAULT_MAXALIGN ((int)offsetof(struct maxalign_probe, u))

static int isdigitc (int c) { return c >= '0' && c <= '9'; }

/* An optional decimal size after an option; def when absent.  Stops
** growing before it could pass INT_MAX, as string.pack does. */
static INLINE int readsize (Fmt *f, int def) {
  int n = 0;
  if (!isdigitc((unsigned char)*f->p)) return def;
  do {
    n = n * 10 + (*f->p++ - '0');
  } while (isdigitc((unsigned char)*f->p) && n <= (INT_MAX - 9) / 10);
  return n;
}

/* A size for an integral option, limited to 1..16. */
static INLINE int readintsize (Fmt *f, int def) {
  int n = readsize(f, def);
  if (n < 1 || n > INTMAX_BYTES)
    luaL_error(f->L, "integral size (%d) out of limits [1,%d]", n,
               INTMAX_BYTES);
  return n;
}

/* Read one option letter (and its number); *size gets its size. */
static INLINE ItemKind readoption (Fmt *f, int *size) {
  int c = (unsigned char)*f->p++;
  *size = 0;
  switch (c) {
    case 'b': *size = 1; return ISINT;
    case 'B': *size = 1; return ISUINT;
    case 'h': *size = (int)sizeof(short); return ISINT;
    case 'H': *size = (int)sizeof(short); return ISUINT;
    case 'i': *size = readintsize(f, (int)sizeof(int)); return ISINT;
    case 'I': *size = readintsize(f, (int)sizeof(int)); return ISUINT;
    case 'l': *size = (int)sizeof(long); return ISINT;
    case 'L': *size = (int)sizeof(long); return ISUINT;
    case 'j': *size = LINT; return ISINT;
    case 'J': *size = LINT; return ISUINT;
    case 'T': *size = (int)sizeof(size_t); return ISUINT;
    case 'f': *size = (int)sizeof(float); return ISFLOAT;
    case 'n': *size = (int)sizeof(lua_Number); return ISNUMBER;
    case 'd': *size = (int)sizeof(double); return ISDOUBLE;
    case 's': *size = readintsize(f, (int)sizeof(size_t)); return ISCOUNTED;
    case 'z': return ISZERO;
    case 'x': *size = 1; return ISPAD;
    case 'X': return ISALIGN;
    case 'c':
      *size = readsize(f, -1);
      if (*size < 0) luaL_error(f->L, "missing size for format option 'c'");
      return ISFIXED;
    case '<': f->little = 1; return ISNOTHING;
    case '>': f->little = 0; return ISNOTHING;
    case '=': f->little = host_little(); return ISNOTHING;
    case '!': f->maxalign = readintsize(f, DEFAULT_MAXALIGN); return ISNOTHING;
    case ' ': return ISNOTHING;
    default:
      luaL_error(f->L, "invalid format option '%c'", c);
      return ISNOTHING;
  }
}

/*
** The next item of the format: its kind, its size and how many padding
** bytes must come before it, given that it would start at offset 'at'
** (alignment is counted from the origin of 'at').
*/
static INLINE ItemKind nextitem (Fmt *f, size_t at, int *size, int *pad) {
  ItemKind k = readoption(f, size);
  int align = *size;
  if (k == ISALIGN) {
    /* 'X' takes its alignment from the option after it, which it eats */
    if (*f->p == '\0' || readoption(f, &align) == ISFIXED || align == 0)
      lmb_argerror(f->L, f->farg, "invalid next option for option 'X'");
  }
  *pad = 0;
  if (align > 1 && k != ISFIXED) {
    if (align > f->maxalign) align = f->maxalign;
    if ((align & (align - 1)) != 0)
      lmb_argerror(f->L, f->farg, "format asks for alignment not power of 2");
    *pad = (align - (int)(at & (size_t)(align - 1))) & (align - 1);
  }
  return k;
}

static void startfmt (Fmt *f, lua_State *L, int farg) {
  f->L = L;
  f->p = lua_tolstring(L, farg, NULL);   /* a string, or a number made one */
  if (f->p == NULL) f->p = lmb_checklstring(L, farg, NULL);   /* raises */
  f->farg = farg;
  f->little = host_little();
  f->maxalign = 1;
}


/* ---- unpack ---- */

/* Copy n bytes, reversed unless the wanted order is the host's. */
static void copyorder (void *dst, const void *src, int n, int little) {
  if (little == host_little())
    memcpy(dst, src, (size_t)n);
  else {
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    int i;
    for (i = 0; i < n; i++) d[i] = s[n - 1 - i];
  }
}

/* The integer of 'size' bytes at s.  Wider than a Lua integer: the extra
** bytes must be the sign extension of the rest, else it does not fit. */
static inline lua_Integer getint (lua_State *L, const unsigned char *s, int little,
                           int size, int issigned) {
  lua_Unsigned v = 0;
  if (size == 4 && little == host_little()) {     /* the common case */
    uint32_t w;
    memcpy(&w, s, 4);
    return issigned ? (lua_Integer)(int32_t)w : (lua_Integer)w;
  }
  int used = size < LINT ? size : LINT;
  int i;
  for (i = used - 1; i >= 0; i--)   /* most significant byte first */
    v = (v << 8) | s[little ? i : size - 1 - i];
  if (size < LINT) {
    if (issigned) {
      lua_Unsigned sign = (lua_Unsigned)1 << (size * 8 - 1);
      v = (v ^ sign) - sign;
    }
  }
  else if (size > LINT) {
    int ext = (issigned && (lua_Integer)v < 0) ? 0xff : 0;
    for (i = LINT; i < size; i++)
      if (s[little ? i : size - 1 - i] != ext)
        luaL_error(L, "%d-byte integer does not fit into Lua Integer", size);
  }
  return (lua_Integer)v;
}

/* After pushing a string (which may run the collector, and so finalizers
** that close or resize this map) fetch the bytes again. */
static const unsigned char *refetch (lua_State *L, LMap *m, size_t pos,
                                     size_t *len) {
  const unsigned char *d = lmb_bytes(L, m, len);
  if (pos > *len) lmb_argerror(L, 3, "data string too short");
  return d;
}

/*
** The format of most unpack loops: one integer of 1 to 8 bytes, maybe
** after an endianness ("<I4", ">i2", "B", "j").  Nothing in it can align
** or fail, so it needs none of the general walk.  Returns its size (0 for
** any other format) and sets *little and *issigned.
*/
static int oneint (const char *p, int *little, int *issigned) {
  int size;
  *little = host_little();
  if (*p == '<' || *p == '>' || *p == '=') {
    *little = *p == '<' ? 1 : *p == '>' ? 0 : host_little();
    p++;
  }
  switch (*p++) {
    case 'b': *issigned = 1; size = 1; break;
    case 'B': *issigned = 0; size = 1; break;
    case 'h': *issigned = 1; size = (int)sizeof(short); break;
    case 'H': *issigned = 0; size = (int)sizeof(short); break;
    case 'j': *issigned = 1; size = LINT; break;
    case 'J': *issigned = 0; size = LINT; break;
    case 'i': case 'I':
      *issigned = p[-1] == 'i';
      size = (int)sizeof(int);
      if (isdigitc((unsigned char)*p)) size = *p++ - '0';
      break;
    default: return 0;
  }
  return *p == '\0' && size >= 1 && size <= LINT ? size : 0;
}

/* The general unpack: any format, from the map m at index 1.  Kept out
** of line, so that m_unpack's fast path stays small. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int unpackall (lua_State *L, LMap *m) {
  size_t len;
  const unsigned char *d;
  Fmt f;
  lua_Integer ip;
  size_t pos, first;
  int n = 0;
  lmb_bytes(L, m, &len);                /* closed: raise before the rest */
  startfmt(&f, L, 2);
  ip = lmb_optint(L, 3, 1);
  /* making the format a string may have collected: take the bytes now */
  d = lmb_bytes(L, m, &len);
  pos = lmb_posrelat(ip, len) - 1;   /* as string.unpack reads its 'pos' */
  lmb_argcheck(L, pos <= len, 3, "initial position out of string");
  first = pos;
  while (*f.p != '\0') {
    int size, pad;
    ItemKind k = nextitem(&f, pos, &size, &pad);
    lmb_argcheck(L, (size_t)pad + (size_t)size <= len - pos, 3,
                  "data string too short");
    pos += (size_t)pad;
    /* a C function starts with LUA_MINSTACK free slots: ask for more
    ** only when many values are out */
    if (n >= LUA_MINSTACK - 2) luaL_checkstack(L, 2, "too many results");
    switch (k) {
      case ISINT: case ISUINT:
        lua_pushinteger(L, getint(L, d + pos, f.little, size, k == ISINT));
        break;
      case ISFLOAT: {
        float x;
        copyorder(&x, d + pos, size, f.little);
        lua_pushnumber(L, (lua_Number)x);
        break;
      }
      case ISNUMBER: {
        lua_Number x;
        copyorder(&x, d + pos, size, f.little);
        lua_pushnumber(L, x);
        break;
      }
      case ISDOUBLE: {
        double x;
        copyorder(&x, d + pos, size, f.little);
        lua_pushnumber(L, (lua_Number)x);
        break;
      }
      case ISFIXED:
        lua_pushlstring(L, (const char *)d + pos, (size_t)size);
        d = refetch(L, m, pos + (size_t)size, &len);
        break;
      case ISCOUNTED: {
        size_t sl = (size_t)getint(L, d + pos, f.little, size, 0);
        lmb_argcheck(L, sl <= len - pos - (size_t)size, 3,
                      "data string too short");
        lua_pushlstring(L, (const char *)d + pos + size, sl);
        pos += sl;
        d = refetch(L, m, pos + (size_t)size, &len);
        break;
      }
      case ISZERO: {
        /* the map is not NUL-terminated: search only inside it */
        const unsigned char *z = memchr(d + pos, 0, len - pos);
        size_t sl;
        lmb_argcheck(L, z != NULL, 3, "unfinished string for format 'z'");
        sl = (size_t)(z - (d + pos));
        lua_pushlstring(L, (const char *)d + pos, sl);
        pos += sl + 1;
        d = refetch(L, m, pos, &len);
        break;
      }
      case ISPAD: case ISALIGN: case ISNOTHING:
        n--;     /* produced no value */
        break;
    }
    n++;
    pos += (size_t)size;
  }
  /* a file cut short under the map reads as zeros: do not pass them on */
  lmb_touched(L, m, first, pos - first);
  lua_pushinteger(L, (lua_Integer)pos + 1);
  return n + 1;
}

/*
** m:unpack(fmt [, pos]).  Loops unpack one integer at a time: that case
** is done here with nothing but the checks it needs (the general walk,
** its state and its error paths, is unpackall).  Nothing before the
** general walk raises, so errors come in the order it gives them: the
** map's own first.
*/
static int m_unpack (lua_State *L) {
  const char *fmt = lua_tolstring(L, 2, NULL);   /* a number: made one */
  const unsigned char *d;
  size_t len, pos;
  int isnum, size, little, issigned;
  lua_Integer ip = lua_tointegerx(L, 3, &isnum);
  LMap *m = lmb_test(L, 1);
  if (m == NULL) return unpackall(L, lmb_self(L));   /* raises */
  if (!isnum) {
    if (!lua_isnoneornil(L, 3)) return unpackall(L, m);
    ip = 1;
  }
  if (fmt == NULL || (size = oneint(fmt, &little, &issigned)) == 0 ||
      (d = lmb_span(m, &len)) == NULL ||
      (pos = lmb_posrelat(ip, len) - 1) > len || (size_t)size > len - pos)
    return unpackall(L, m);   /* any other format, closed, out of range */
  lua_pushinteger(L, getint(L, d + pos, little, size, issigned));
  lmb_touched(L, m, pos, (size_t)size);
  lua_pushinteger(L, (lua_Integer)(pos + (size_t)size) + 1);
  return 2;
}


/* ---- pack ---- */

/* Store v in size bytes at d; wider than a Lua integer, negative numbers
** get sign-extension bytes. */
static void putint (unsigned char *d, lua_Unsigned v, int little, int size,
                    int neg) {
  int i;
  for (i = 0; i < size; i++) {
    unsigned char b = (unsigned char)(i < LINT ? (v >> (8 * i)) & 0xff
                                               : (neg ? 0xff : 0));
    d[little ? i : size - 1 - i] = b;
  }
}

static size_t addsize (size_t a, size_t b) {
  return b > (size_t)-1 - a ? (size_t)-1 : a + b;   /* saturate */
}

/*
** Walk the format over the values from stack index farg+1 on.  With
** out == NULL only check every value and return the number of bytes;
** otherwise also write them to out (which has room, from the first walk).
** Both walks see the same values (the first has already turned numbers
** given for strings into strings), so the second cannot fail.
*/
static size_t packwalk (lua_State *L, int farg, unsigned char *out) {
  Fmt f;
  size_t total = 0;
  int arg = farg;
  startfmt(&f, L, farg);
  while (*f.p != '\0') {
    int size, pad;
    ItemKind k = nextitem(&f, total, &size, &pad);
    if (out) { memset(out + total, 0, (size_t)pad); }
    total = addsize(total, (size_t)pad);
    arg++;
    switch (k) {
      case ISINT: {
        lua_Integer v = lmb_checkint(L, arg);
        if (size < LINT) {
          lua_Integer lim = (lua_Integer)1 << (size * 8 - 1);
          lmb_argcheck(L, -lim <= v && v < lim, arg, "integer overflow");
        }
        if (out) putint(out + total, (lua_Unsigned)v, f.little, size, v < 0);
        break;
      }
      case ISUINT: {
        lua_Integer v = lmb_checkint(L, arg);
        if (size < LINT)
          lmb_argcheck(L, (lua_Unsigned)v < ((lua_Unsigned)1 << (size * 8)),
                        arg, "unsigned overflow");
        if (out) putint(out + total, (lua_Unsigned)v, f.little, size, 0);
        break;
      }
      case ISFLOAT: {
        float x = (float)lmb_checknumber(L, arg);
        if (out) copyorder(out + total, &x, size, f.little);
        break;
      }
      case ISNUMBER: {
        lua_Number x = lmb_checknumber(L, arg);
        if (out) copyorder(out + total, &x, size, f.little);
        break;
      }
      case ISDOUBLE: {
        double x = (double)lmb_checknumber(L, arg);
        if (out) copyorder(out + total, &x, size, f.little);
        break;
      }
      case ISFIXED: {
        size_t sl;
        const char *s = lmb_checklstring(L, arg, &sl);
        lmb_argcheck(L, sl <= (size_t)size, arg,
                      "string longer than given size");
        if (out) {
          memcpy(out + total, s, sl);
          memset(out + total + sl, 0, (size_t)size - sl);
        }
        break;
      }
      case ISCOUNTED: {
        size_t sl;
        const char *s = lmb_checklstring(L, arg, &sl);
        lmb_argcheck(L, size >= (int)sizeof(size_t) ||
                         sl < ((size_t)1 << (size * 8)),
                      arg, "string length does not fit in given size");
        if (out) {
          putint(out + total, (lua_Unsigned)sl, f.little, size, 0);
          memcpy(out + total + size, s, sl);
        }
        total = addsize(total, sl);
        break;
      }
      case ISZERO: {
        size_t sl;
        const char *s = lmb_checklstring(L, arg, &sl);
        lmb_argcheck(L, memchr(s, 0, sl) == NULL, arg,
                      "string contains zeros");
        if (out) {
          memcpy(out + total, s, sl);
          out[total + sl] = 0;
        }
        total = addsize(total, addsize(sl, 1));
        break;
      }
      case ISPAD:
        if (out) out[total] = 0;
        arg--;
        break;
      case ISALIGN: case ISNOTHING:
        arg--;
        break;
    }
    total = addsize(total, (size_t)size);
  }
  return total;
}

static int m_pack (lua_State *L) {
  LMap *m;
  size_t len, need, at;
  unsigned char *d;
  lua_Integer ip;
  lmb_checkselfw(L, &m, &len);        /* closed or read-only: raise first */
  ip = lmb_checkint(L, 2);
  lua_pushnil(L);   /* a missing value reads "got nil", as in string.pack */
  need = packwalk(L, 3, NULL);          /* raises on any bad value */
  /* the walk may have run the collector (numbers made into strings), and
  ** so finalizers: look at the map again before writing */
  d = lmb_bytesw(L, m, &len);
  /* pos: 1 .. #m+1, or negative from the end; never clipped for a write */
  if (ip < 0) ip += (lua_Integer)len + 1;
  lmb_argcheck(L, ip >= 1 && (lua_Unsigned)ip - 1 <= len, 2, "out of range");
  at = (size_t)ip - 1;
  lmb_argcheck(L, need <= len - at, 2, "out of range");
  lmb_touched(L, m, at, need);
  packwalk(L, 3, d + at);
  /* the file may have been cut while we wrote: the bytes went nowhere */
  lmb_touched(L, m, at, need);
  lua_pushinteger(L, (lua_Integer)(at + need) + 1);
  return 1;
}


const luaL_Reg lmb_pack_methods[] = {
  {"unpack", m_unpack},
  {"pack", m_pack},
  {NULL, NULL}
};
