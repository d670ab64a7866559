/*
** lpack.c - m:unpack(fmt [, pos]) and m:pack(pos, fmt, ...): string.pack's
** format language read from and written to the mapped bytes in place.
**
** The format language, its sizes, its alignment rules and its error
** messages are those the Lua 5.4 manual gives string.pack (section
** 6.4.2), so that
**   m:unpack(fmt, pos)   ==  string.unpack(fmt, m:sub(1, -1), pos)
**   m:pack(pos, fmt, ...) writes string.pack(fmt, ...) at pos
** (the specs check both against the real functions).  unpack reads the map
** directly (no copy); pack checks every value first and only then writes,
** straight into the map: all or nothing, and no allocation on either path
** for fixed-size formats.
**
** How a format is read: the letters are known from a table (letters[]),
** not from code; a reader (struct Reader) turns the format into items one
** at a time, applying directives ('<', '>', '=', '!', ' ') itself, so
** the two walkers below only ever see items that have a place in the data,
** each with the padding it needs before it (layout()).
*/
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lmapbuf.h"

#define MAXINTSIZE 16             /* widest integer option: i16 / I16 */
#define LINT ((int)sizeof(lua_Integer))

/* What an option is.  0 is no option at all (an unknown letter). */
enum {
  K_NONE, K_INT, K_UINT, K_FLOAT, K_NUMBER, K_DOUBLE,
  K_CHARS,        /* cN: exactly N bytes */
  K_COUNTED,      /* sN: an N-byte length, then the bytes */
  K_ZSTR,         /* z: bytes, then a zero */
  K_PADBYTE,      /* x: one zero byte */
  K_ALIGN,        /* Xop: padding to op's alignment */
  K_LITTLE, K_BIG, K_NATIVE, K_MAXALIGN, K_BLANK   /* directives */
};

/* How an option's size is given. */
enum {
  S_FIXED,        /* by the letter */
  S_OPTIONAL,     /* an optional number, 1 .. MAXINTSIZE, else the default */
  S_REQUIRED      /* a number that must be there (c) */
};

typedef struct Letter {
  unsigned char kind, size, sizing;
} Letter;

/* The natural alignment limit of '!' without a number: what C gives the
** most demanding of Lua's basic types. */
struct maxalign_probe { char c; union { lua_Number n; double d; void *p;
                                        lua_Integer i; long l; } u; };
#define NATIVE_ALIGN ((unsigned char)offsetof(struct maxalign_probe, u))

static const Letter letters[128] = {
  ['b'] = {K_INT, 1, S_FIXED},           ['B'] = {K_UINT, 1, S_FIXED},
  ['h'] = {K_INT, sizeof(short), S_FIXED}, ['H'] = {K_UINT, sizeof(short), S_FIXED},
  ['i'] = {K_INT, sizeof(int), S_OPTIONAL}, ['I'] = {K_UINT, sizeof(int), S_OPTIONAL},
  ['l'] = {K_INT, sizeof(long), S_FIXED}, ['L'] = {K_UINT, sizeof(long), S_FIXED},
  ['j'] = {K_INT, sizeof(lua_Integer), S_FIXED},
  ['J'] = {K_UINT, sizeof(lua_Integer), S_FIXED},
  ['T'] = {K_UINT, sizeof(size_t), S_FIXED},
  ['f'] = {K_FLOAT, sizeof(float), S_FIXED},
  ['n'] = {K_NUMBER, sizeof(lua_Number), S_FIXED},
  ['d'] = {K_DOUBLE, sizeof(double), S_FIXED},
  ['s'] = {K_COUNTED, sizeof(size_t), S_OPTIONAL},
  ['z'] = {K_ZSTR, 0, S_FIXED},           ['x'] = {K_PADBYTE, 1, S_FIXED},
  ['X'] = {K_ALIGN, 0, S_FIXED},          ['c'] = {K_CHARS, 0, S_REQUIRED},
  ['<'] = {K_LITTLE, 0, S_FIXED},         ['>'] = {K_BIG, 0, S_FIXED},
  ['='] = {K_NATIVE, 0, S_FIXED},
  ['!'] = {K_MAXALIGN, NATIVE_ALIGN, S_OPTIONAL},
  [' '] = {K_BLANK, 0, S_FIXED},
};

static int native_little (void) {
  const union { int i; char c; } u = {1};
  return u.c;
}

static int isdigitc (int c) { return c >= '0' && c <= '9'; }


/* ---- reading a format ---- */

typedef struct Reader {
  lua_State *L;
  const char *p;        /* what is left of the format */
  int arg;              /* its argument, for argument errors */
  int little;           /* byte order now */
  int maxalign;         /* '!' limit now */
} Reader;

/* One item of data, laid out. */
typedef struct Item {
  int kind;             /* K_INT .. K_ALIGN */
  int size;             /* its bytes (K_ALIGN: none) */
  int pad;              /* zero bytes before it */
} Item;

static void startreader (Reader *r, lua_State *L, int arg) {
  r->L = L;
  r->p = lua_tolstring(L, arg, NULL);   /* a string, or a number made one */
  if (r->p == NULL) r->p = lmb_checklstring(L, arg, NULL);   /* raises */
  r->arg = arg;
  r->little = native_little();
  r->maxalign = 1;
}

/* A decimal number in the format, taken digit by digit while one more
** digit cannot take it past INT_MAX (the digits left over then read as
** the next option, as string.pack does). */
static int number (Reader *r) {
  int n = 0;
  while (isdigitc((unsigned char)*r->p)) {
    n = n * 10 + (*r->p++ - '0');
    if (n > (INT_MAX - 9) / 10) break;
  }
  return n;
}

/* The letter at the reader and its size; *size gets the size. */
static const Letter *letter (Reader *r, int *size) {
  int c = (unsigned char)*r->p++;
  const Letter *l = c < 128 ? &letters[c] : NULL;
  if (l == NULL || l->kind == K_NONE)
    luaL_error(r->L, "invalid format option '%c'", c);
  *size = l->size;
  if (l->sizing != S_FIXED && isdigitc((unsigned char)*r->p))
    *size = number(r);
  else if (l->sizing == S_REQUIRED)
    luaL_error(r->L, "missing size for format option 'c'");
  if (l->sizing == S_OPTIONAL && (*size < 1 || *size > MAXINTSIZE))
    luaL_error(r->L, "integral size (%d) out of limits [1,%d]", *size,
               MAXINTSIZE);
  return l;
}

/* The padding an item needs before it to start at an offset that is a
** multiple of min(align, '!' limit), which must be a power of 2.
** Characters (c) and strings ending in a zero (z) are never aligned. */
static int layout (Reader *r, int kind, int align, size_t at) {
  if (kind == K_CHARS || kind == K_ZSTR || align <= 1) return 0;
  if (align > r->maxalign) align = r->maxalign;
  if ((align & (align - 1)) != 0)
    lmb_argerror(r->L, r->arg, "format asks for alignment not power of 2");
  return (int)((size_t)(align - (int)(at & (size_t)(align - 1))) &
               (size_t)(align - 1));
}

/*
** The next item, to start at offset 'at' (alignment counts from the
** origin of 'at'), with the directives before it applied.  Returns 0 at
** the end of the format.
*/
static int nextitem (Reader *r, size_t at, Item *it) {
  for (;;) {
    const Letter *l;
    int size, align;
    if (*r->p == '\0') return 0;
    l = letter(r, &size);
    switch (l->kind) {
      case K_LITTLE: r->little = 1; continue;
      case K_BIG: r->little = 0; continue;
      case K_NATIVE: r->little = native_little(); continue;
      case K_MAXALIGN: r->maxalign = size; continue;
      case K_BLANK: continue;
      case K_ALIGN: {
        /* X aligns to the option after it, which it consumes */
        const Letter *next;
        if (*r->p == '\0')
          lmb_argerror(r->L, r->arg, "invalid next option for option 'X'");
        next = letter(r, &align);
        /* a directive or c has no alignment to give (nor has size 0) */
        if (next->kind == K_CHARS || next->kind >= K_LITTLE || align == 0)
          lmb_argerror(r->L, r->arg, "invalid next option for option 'X'");
        it->kind = K_ALIGN;
        it->size = 0;
        it->pad = layout(r, K_ALIGN, align, at);
        return 1;
      }
      default:
        it->kind = l->kind;
        it->size = size;
        it->pad = layout(r, l->kind, size, at);
        return 1;
    }
  }
}


/* ---- bytes in either order ---- */

/* Copy n bytes, reversed unless the wanted order is the host's. */
static void copyorder (void *dst, const void *src, int n, int little) {
  if (little == native_little())
    memcpy(dst, src, (size_t)n);
  else {
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    int i;
    for (i = 0; i < n; i++) d[i] = s[n - 1 - i];
  }
}

/* The k-th byte of a size-byte integer at s, counted from the least
** significant. */
#define BYTE(s, k, size, little) ((s)[(little) ? (k) : (size) - 1 - (k)])

/* The integer of 'size' bytes at s.  Wider than a Lua integer: the extra
** bytes must be the sign extension of the rest, else it does not fit. */
static inline lua_Integer getint (lua_State *L, const unsigned char *s,
                                  int little, int size, int issigned) {
  lmb_Unsigned v = 0;
  int k, used = size < LINT ? size : LINT;
  if (size == 4 && little == native_little()) {     /* the common case */
    uint32_t w;
    memcpy(&w, s, 4);
    return issigned ? (lua_Integer)(int32_t)w : (lua_Integer)w;
  }
  for (k = used - 1; k >= 0; k--) v = (v << 8) | BYTE(s, k, size, little);
  if (size < LINT && issigned) {     /* extend the sign bit */
    lmb_Unsigned sign = (lmb_Unsigned)1 << (size * 8 - 1);
    v = (v ^ sign) - sign;
  }
  else if (size > LINT) {
    int ext = (issigned && (lua_Integer)v < 0) ? 0xff : 0;
    for (k = LINT; k < size; k++)
      if (BYTE(s, k, size, little) != ext)
        luaL_error(L, "%d-byte integer does not fit into Lua Integer", size);
  }
  return (lua_Integer)v;
}

/* Store v in size bytes at d; wider than a Lua integer, negative numbers
** get sign-extension bytes. */
static void putint (unsigned char *d, lmb_Unsigned v, int little, int size,
                    int neg) {
  int k;
  for (k = 0; k < size; k++)
    BYTE(d, k, size, little) = (unsigned char)(k < LINT ? (v >> (8 * k)) & 0xff
                                                        : (neg ? 0xff : 0));
}


/* ---- unpack ---- */

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
** after a byte order ("<I4", ">i2", "B", "j").  Nothing in it can align
** or fail, so it needs none of the general walk.  Returns its size (0 for
** any other format) and sets *little and *issigned.
*/
static int oneint (const char *p, int *little, int *issigned) {
  const Letter *l;
  int size;
  *little = native_little();
  if (*p == '<' || *p == '>' || *p == '=') {
    *little = *p == '<' ? 1 : *p == '>' ? 0 : native_little();
    p++;
  }
  if ((unsigned char)*p >= 128) return 0;
  l = &letters[(unsigned char)*p++];
  if (l->kind != K_INT && l->kind != K_UINT) return 0;
  size = l->size;
  if (l->sizing == S_OPTIONAL && isdigitc((unsigned char)*p)) size = *p++ - '0';
  *issigned = l->kind == K_INT;
  return *p == '\0' && size >= 1 && size <= LINT ? size : 0;
}

/* Push the value of item it at d (not a string: those are pushed by the
** walk, which must fetch the bytes again after them). */
static void pushnumber (lua_State *L, const Item *it, const unsigned char *d,
                        int little) {
  switch (it->kind) {
    case K_INT: case K_UINT:
      lua_pushinteger(L, getint(L, d, little, it->size, it->kind == K_INT));
      break;
    case K_FLOAT: {
      float x;
      copyorder(&x, d, it->size, little);
      lua_pushnumber(L, (lua_Number)x);
      break;
    }
    case K_NUMBER: {
      lua_Number x;
      copyorder(&x, d, it->size, little);
      lua_pushnumber(L, x);
      break;
    }
    default: {   /* K_DOUBLE */
      double x;
      copyorder(&x, d, it->size, little);
      lua_pushnumber(L, (lua_Number)x);
      break;
    }
  }
}

/* The general unpack: any format, from the map m at index 1.  Kept out
** of line, so that m_unpack's fast path stays small. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int unpackall (lua_State *L, LMap *m) {
  size_t len, pos, first;
  const unsigned char *d;
  Reader r;
  Item it;
  lua_Integer ip;
  int n = 0;
  lmb_bytes(L, m, &len);                /* closed: raise before the rest */
  startreader(&r, L, 2);
  ip = lmb_optint(L, 3, 1);
  /* making the format a string may have collected: take the bytes now */
  d = lmb_bytes(L, m, &len);
  pos = lmb_posrelat(ip, len) - 1;   /* as string.unpack reads its 'pos' */
  lmb_argcheck(L, pos <= len, 3, "initial position out of string");
  first = pos;
  while (nextitem(&r, pos, &it)) {
    lmb_argcheck(L, (size_t)it.pad + (size_t)it.size <= len - pos, 3,
                 "data string too short");
    pos += (size_t)it.pad;
    /* a C function starts with LUA_MINSTACK free slots: ask for more
    ** only when many values are out */
    if (n >= LUA_MINSTACK - 2) luaL_checkstack(L, 2, "too many results");
    switch (it.kind) {
      case K_CHARS:
        lua_pushlstring(L, (const char *)d + pos, (size_t)it.size);
        d = refetch(L, m, pos + (size_t)it.size, &len);
        break;
      case K_COUNTED: {
        size_t sl = (size_t)getint(L, d + pos, r.little, it.size, 0);
        lmb_argcheck(L, sl <= len - pos - (size_t)it.size, 3,
                     "data string too short");
        lua_pushlstring(L, (const char *)d + pos + it.size, sl);
        pos += sl;
        d = refetch(L, m, pos + (size_t)it.size, &len);
        break;
      }
      case K_ZSTR: {
        /* the map is not zero-terminated: search only inside it */
        const unsigned char *z = memchr(d + pos, 0, len - pos);
        size_t sl;
        lmb_argcheck(L, z != NULL, 3, "unfinished string for format 'z'");
        sl = (size_t)(z - (d + pos));
        lua_pushlstring(L, (const char *)d + pos, sl);
        pos += sl + 1;
        d = refetch(L, m, pos, &len);
        break;
      }
      case K_PADBYTE: case K_ALIGN:
        n--;     /* no value */
        break;
      default:
        pushnumber(L, &it, d + pos, r.little);
        break;
    }
    n++;
    pos += (size_t)it.size;
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

static size_t addsize (size_t a, size_t b) {
  return b > (size_t)-1 - a ? (size_t)-1 : a + b;   /* saturate */
}

/* Check the value for item it at argument arg, and write it at out when
** out is not NULL.  Returns the bytes of data beyond the item's own size
** (the string of s, the string and its zero of z). */
static size_t packone (lua_State *L, const Item *it, int arg, int little,
                       unsigned char *out) {
  switch (it->kind) {
    case K_INT: case K_UINT: {
      lua_Integer v = lmb_checkint(L, arg);
      if (it->size < LINT) {
        if (it->kind == K_INT) {
          lua_Integer lim = (lua_Integer)1 << (it->size * 8 - 1);
          lmb_argcheck(L, -lim <= v && v < lim, arg, "integer overflow");
        } else {
          lmb_argcheck(L, (lmb_Unsigned)v < ((lmb_Unsigned)1 << (it->size * 8)),
                       arg, "unsigned overflow");
        }
      }
      if (out) putint(out, (lmb_Unsigned)v, little, it->size,
                      it->kind == K_INT && v < 0);
      return 0;
    }
    case K_FLOAT: {
      float x = (float)lmb_checknumber(L, arg);
      if (out) copyorder(out, &x, it->size, little);
      return 0;
    }
    case K_NUMBER: {
      lua_Number x = lmb_checknumber(L, arg);
      if (out) copyorder(out, &x, it->size, little);
      return 0;
    }
    case K_DOUBLE: {
      double x = (double)lmb_checknumber(L, arg);
      if (out) copyorder(out, &x, it->size, little);
      return 0;
    }
    case K_CHARS: {
      size_t sl;
      const char *s = lmb_checklstring(L, arg, &sl);
      lmb_argcheck(L, sl <= (size_t)it->size, arg,
                   "string longer than given size");
      if (out) {
        memcpy(out, s, sl);
        memset(out + sl, 0, (size_t)it->size - sl);
      }
      return 0;
    }
    case K_COUNTED: {
      size_t sl;
      const char *s = lmb_checklstring(L, arg, &sl);
      lmb_argcheck(L, it->size >= (int)sizeof(size_t) ||
                      sl < ((size_t)1 << (it->size * 8)),
                   arg, "string length does not fit in given size");
      if (out) {
        putint(out, (lmb_Unsigned)sl, little, it->size, 0);
        memcpy(out + it->size, s, sl);
      }
      return sl;
    }
    default: {   /* K_ZSTR */
      size_t sl;
      const char *s = lmb_checklstring(L, arg, &sl);
      lmb_argcheck(L, memchr(s, 0, sl) == NULL, arg, "string contains zeros");
      if (out) {
        memcpy(out, s, sl);
        out[sl] = 0;
      }
      return addsize(sl, 1);
    }
  }
}

/*
** Walk the format over the values from stack index farg+1 on.  With
** out == NULL only check every value and return the number of bytes;
** otherwise also write them to out (which has room, from the first walk).
** Both walks see the same values (the first has already turned numbers
** given for strings into strings), so the second cannot fail.
*/
static size_t packwalk (lua_State *L, int farg, unsigned char *out) {
  Reader r;
  Item it;
  size_t total = 0;
  int arg = farg;
  startreader(&r, L, farg);
  while (nextitem(&r, total, &it)) {
    if (out) memset(out + total, 0, (size_t)it.pad);
    total = addsize(total, (size_t)it.pad);
    if (it.kind == K_PADBYTE) {
      if (out) out[total] = 0;
    } else if (it.kind != K_ALIGN) {
      total = addsize(total, packone(L, &it, ++arg, r.little,
                                     out ? out + total : NULL));
    }
    total = addsize(total, (size_t)it.size);
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
  lmb_argcheck(L, ip >= 1 && (lmb_Unsigned)ip - 1 <= len, 2, "out of range");
  at = (size_t)ip - 1;
  d = lmb_room(L, m, at, need, &len);   /* a growable map grows */
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
