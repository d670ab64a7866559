/*
** lstream.c - the map as a stream: a 0-based cursor per object (map or
** view) and the methods of a Lua file handle (seek, read, lines, write)
** plus Python's (tell, readline, read_byte, write_byte, seekable).
**
** Every format of read takes the bytes afresh: pushing a result allocates,
** an allocation may run a finalizer, and a finalizer may close or resize
** the map.  Each result is one lua_pushlstring straight from the map.
*/
#include <ctype.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "lbind.h"

#define MAXLENNUM 200      /* longest numeral "n" reads, as file:read */
#define MAXARGLINE 250     /* most formats lines takes, as file:lines */

/* Bytes left after the cursor (none when a shrink left it past the end). */
static size_t remaining(const LMap *m, size_t len) {
  return m->pos < len ? len - m->pos : 0;
}


/* ---------------------------------------------------------------------
** read
** ------------------------------------------------------------------- */

/*
** The "n" format reads the longest prefix of the bytes at the cursor that
** looks like a Lua numeral, after white space, and converts it with
** lua_stringtonumber; what it took is consumed even when it turns out not
** to be a number, and the byte that ended it is not.  A small machine
** does the taking: each state says which bytes may come next and where
** they lead (digits loop in place).  At most MAXLENNUM bytes are taken;
** one more would make the numeral invalid, and is not taken.
*/
enum {
  N_SIGN,       /* an optional sign */
  N_ZERO,       /* a leading 0, maybe of a 0x prefix */
  N_HEXMARK,    /* the x of 0x */
  N_INT,        /* digits before the point */
  N_POINT,      /* the decimal point */
  N_FRAC,       /* digits after it */
  N_EXPMARK,    /* e or p, after at least one digit */
  N_EXPSIGN,    /* the exponent's sign */
  N_EXP,        /* its decimal digits */
  N_DONE
};

typedef struct Numeral {
  const unsigned char *s;  /* the bytes after the white space */
  size_t avail, used;      /* how many there are; how many were taken */
  int hex, digits;         /* 0x seen; digits before the exponent */
  int invalid;             /* more than MAXLENNUM bytes */
  char point;              /* the locale's decimal point */
} Numeral;

static int isdec(int c) { return c >= '0' && c <= '9'; }
static int ishexdigit(int c) {
  return isdec(c) || ((unsigned)c | 0x20) - 'a' < 6;
}

/* May byte c come next in state st? */
static int fits(const Numeral *n, int st, int c) {
  switch (st) {
    case N_SIGN: case N_EXPSIGN: return c == '-' || c == '+';
    case N_ZERO: return c == '0';
    case N_HEXMARK: return c == 'x' || c == 'X';
    case N_INT: case N_FRAC: return n->hex ? ishexdigit(c) : isdec(c);
    case N_POINT: return c == '.' || c == n->point;
    case N_EXPMARK:
      return n->digits > 0 && (n->hex ? (c == 'p' || c == 'P')
                                      : (c == 'e' || c == 'E'));
    case N_EXP: return isdec(c);
    default: return 0;
  }
}

/* Where a state goes once it has taken a byte (repeat: stays), and where
** it goes when the next byte does not fit. */
static int taken(Numeral *n, int st) {
  switch (st) {
    case N_SIGN: return N_ZERO;
    case N_ZERO: n->digits++; return N_HEXMARK;
    case N_HEXMARK: n->hex = 1; n->digits--; return N_INT;   /* 0x: no digit */
    case N_INT: case N_FRAC: n->digits++; return st;
    case N_POINT: return N_FRAC;
    case N_EXPMARK: return N_EXPSIGN;
    case N_EXPSIGN: return N_EXP;
    default: return st;   /* N_EXP */
  }
}

static int skipped(int st) {
  switch (st) {
    case N_SIGN: return N_ZERO;
    case N_ZERO: case N_HEXMARK: return N_INT;
    case N_INT: return N_POINT;
    case N_POINT: case N_FRAC: return N_EXPMARK;
    case N_EXPMARK: return N_DONE;
    case N_EXPSIGN: return N_EXP;
    default: return N_DONE;   /* N_EXP */
  }
}

static int readnumber(lua_State *L, LMap *m, const unsigned char *p,
                      size_t len) {
  const unsigned char *s = p + m->pos;
  size_t rem = remaining(m, len), ws = 0;
  char buf[MAXLENNUM + 1];
  Numeral n;
  int st = N_SIGN;
  while (ws < rem && isspace(s[ws])) ws++;
  n.s = s + ws;
  n.avail = rem - ws;
  n.used = 0;
  n.hex = n.digits = n.invalid = 0;
  n.point = lua_getlocaledecpoint();
  while (st != N_DONE && !n.invalid) {
    if (n.used < n.avail && fits(&n, st, n.s[n.used])) {
      if (n.used == MAXLENNUM) { n.invalid = 1; break; }
      buf[n.used] = (char)n.s[n.used];
      n.used++;
      st = taken(&n, st);
    } else {
      st = skipped(st);
    }
  }
  /* the byte that ended the numeral was looked at too */
  lmb_touched(L, m, m->pos, ws + n.used + (ws + n.used < rem));
  m->pos += ws + n.used;
  buf[n.invalid ? 0 : n.used] = '\0';
  if (lua_stringtonumber(L, buf) != 0) return 1;
  luaL_pushfail(L);
  return 0;
}

/* "l" and "L": the next line, without or with its "\n". */
static int readline(lua_State *L, LMap *m, const unsigned char *p,
                    size_t len, int keepnl) {
  size_t rem = remaining(m, len), k;
  const unsigned char *s = p + m->pos, *nl;
  if (rem == 0) { luaL_pushfail(L); return 0; }
  lmb_touched(L, m, m->pos, 1);
  nl = (const unsigned char *)memchr(s, '\n', rem);
  k = nl ? (size_t)(nl - s) : rem;
  lmb_touched(L, m, m->pos, nl ? k + 1 : k);
  lua_pushlstring(L, (const char *)s, nl && keepnl ? k + 1 : k);
  /* and again: the file may have shrunk while the line was copied */
  lmb_touched(L, m, m->pos, nl ? k + 1 : k);
  m->pos += nl ? k + 1 : k;
  return 1;
}

/* n bytes (n may be 0: "" unless at the end). */
static int readchars(lua_State *L, LMap *m, const unsigned char *p,
                     size_t len, size_t n) {
  size_t rem = remaining(m, len);
  if (rem == 0) { luaL_pushfail(L); return 0; }
  if (n > rem) n = rem;
  lmb_touched(L, m, m->pos, n);
  lua_pushlstring(L, (const char *)p + m->pos, n);
  lmb_touched(L, m, m->pos, n);
  m->pos += n;
  return 1;
}

/* "a": everything left, "" at the end. */
static int readrest(lua_State *L, LMap *m, const unsigned char *p,
                    size_t len) {
  size_t rem = remaining(m, len);
  lmb_touched(L, m, m->pos, rem);
  lua_pushlstring(L, (const char *)p + (rem ? m->pos : 0), rem);
  lmb_touched(L, m, m->pos, rem);
  m->pos += rem;
  return 1;
}

/* A count: that many bytes ("" for 0, unless at the end); a negative count
** is a huge one, as file:read takes it. */
static int readcount(lua_State *L, LMap *m, size_t count) {
  size_t len;
  const unsigned char *p = lmb_bytes(L, m, &len);
  if (count > 0) return readchars(L, m, p, len, count);
  if (remaining(m, len) == 0) { luaL_pushfail(L); return 0; }
  lua_pushliteral(L, "");
  return 1;
}

/* The format at argument arg, one value pushed (fail when it cannot be
** read); returns whether it could.  The map's bytes are taken after the
** format is read (reading it may convert a number, which allocates). */
static int readformat(lua_State *L, LMap *m, int arg) {
  const char *f;
  const unsigned char *p;
  size_t len;
  if (lua_type(L, arg) == LUA_TNUMBER)
    return readcount(L, m, (size_t)lmb_checkint(L, arg));
  f = lmb_checklstring(L, arg, NULL);
  if (f[0] == '*') f++;   /* "*l" and the like, as Lua 5.1 spelled them */
  p = lmb_bytes(L, m, &len);
  switch (f[0]) {
    case 'l': return readline(L, m, p, len, 0);
    case 'L': return readline(L, m, p, len, 1);
    case 'n': return readnumber(L, m, p, len);
    case 'a': return readrest(L, m, p, len);
    default: return lmb_argerror(L, arg, "invalid format");
  }
}

/* Read from map m (at index 1) with the formats at first .. top: one
** value each, up to and including the first that fails (nil); no format
** means a line. */
static int readformats(lua_State *L, LMap *m, int first) {
  int last = lua_gettop(L), arg;
  if (last < first) {
    size_t len;
    const unsigned char *p = lmb_bytes(L, m, &len);
    readline(L, m, p, len, 0);
    return 1;
  }
  luaL_checkstack(L, last - first + 1 + LUA_MINSTACK, "too many arguments");
  for (arg = first; arg <= last; arg++)
    if (!readformat(L, m, arg)) { arg++; break; }
  return arg - first;
}

/* m:read(...) */
static int s_read(lua_State *L) {
  LMap *m;
  size_t len;
  const unsigned char *p = lmb_checkself(L, &m, &len);
  int top = lua_gettop(L);
  /* m:read(), m:read("l"), m:read("L"): a line, without the loop */
  if (top <= 2) {
    const char *f = top == 1 ? "l"
                  : lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "";
    if (*f == '*') f++;
    if (*f == 'l' || *f == 'L') {
      readline(L, m, p, len, *f == 'L');
      return 1;
    }
  }
  return readformats(L, m, 2);
}

/*
** The iterators of lines: upvalue 1 the map, 2 the number of formats,
** 3.. the formats; without formats, only the map.  The upvalues are
** checked at every call (debug.setupvalue can put anything there): a
** map that is not one raises, a count out of range raises.
*/
static LMap *itermap(lua_State *L) {
  LMap *m = lmb_test(L, lua_upvalueindex(1));
  if (m == NULL) luaL_error(L, "mapbuf: lines: broken iterator");
  return m;
}

static int lines_iter(lua_State *L) {
  LMap *m = itermap(L);
  int isnum, i, r;
  lua_Integer n = lua_tointegerx(L, lua_upvalueindex(2), &isnum);
  size_t len;
  if (!isnum || n < 0 || n > MAXARGLINE)
    return luaL_error(L, "mapbuf: lines: broken iterator");
  lmb_bytes(L, m, &len);
  lua_settop(L, 0);
  lua_pushvalue(L, lua_upvalueindex(1));   /* formats are arguments 2.. */
  luaL_checkstack(L, (int)n, "too many arguments");
  for (i = 1; i <= n; i++) lua_pushvalue(L, lua_upvalueindex(2 + i));
  r = readformats(L, m, 2);
  return lua_toboolean(L, -r) ? r : 0;
}

/* The usual loop, for l in m:lines(): a line at a time, no "\n". */
static int lines_plain(lua_State *L) {
  LMap *m = itermap(L);
  size_t len;
  const unsigned char *p = lmb_bytes(L, m, &len);
  return readline(L, m, p, len, 0);   /* at the end: 0 results, no fail */
}

/* m:lines(...) */
static int s_lines(lua_State *L) {
  LMap *m;
  size_t len;
  int n = lua_gettop(L) - 1;
  lmb_checkself(L, &m, &len);
  lmb_argcheck(L, n <= MAXARGLINE, MAXARGLINE + 2, "too many arguments");
  if (n == 0) {
    lua_pushcclosure(L, lines_plain, 1);
    return 1;
  }
  lua_pushvalue(L, 1);
  lua_pushinteger(L, n);
  lua_rotate(L, 2, 2);   /* map, n, formats... */
  lua_pushcclosure(L, lines_iter, 2 + n);
  return 1;
}

/* m:readline(): Python's, the next line with its "\n"; "" at the end */
static int s_readline(lua_State *L) {
  LMap *m;
  size_t len;
  const unsigned char *p = lmb_checkself(L, &m, &len);
  if (!readline(L, m, p, len, 1)) lua_pushliteral(L, "");
  return 1;
}

/* m:read_byte(): the byte at the cursor, or nil at the end */
static int s_read_byte(lua_State *L) {
  LMap *m;
  size_t len;
  const unsigned char *p = lmb_checkself(L, &m, &len);
  if (remaining(m, len) == 0) luaL_pushfail(L);
  else {
    lua_pushinteger(L, p[m->pos]);
    lmb_touched(L, m, m->pos, 1);
    m->pos++;
  }
  return 1;
}


/* ---------------------------------------------------------------------
** write
** ------------------------------------------------------------------- */

/* Argument k as bytes: a string, or a number formatted as file:write
** does (integers "%d", floats LUA_NUMBER_FMT) into buf. */
static const char *wbytes(lua_State *L, int k, char *buf, size_t *l) {
  if (lua_type(L, k) == LUA_TNUMBER) {
    *l = (size_t)lmb_fmtnumber(L, k, buf, 64);
    return buf;
  }
  return lmb_checklstring(L, k, l);
}

/* m:write(...): all or nothing; nothing here allocates, so the bytes
** checked are the bytes written (a growable map grows to hold them) */
static int s_write(lua_State *L) {
  LMap *m;
  size_t len, total = 0, l, start;
  int top = lua_gettop(L), k;
  char buf[64];
  unsigned char *p;
  lmb_checkselfw(L, &m, &len);
  for (k = 2; k <= top; k++) {
    wbytes(L, k, buf, &l);
    total += l;   /* each l is the length of something in memory */
  }
  lmb_bytesw(L, m, &len);
  /* past the end (after a shrink) even "" does not fit, as in Python */
  if (m->pos > len) return lmb_misuse(L, MB_E_RANGE);
  p = lmb_room(L, m, m->pos, total, &len);
  if (total > len - m->pos) return lmb_misuse(L, MB_E_RANGE);
  start = m->pos;
  lmb_touched(L, m, start, total);
  for (k = 2; k <= top; k++) {
    const char *s = wbytes(L, k, buf, &l);
    memcpy(p + m->pos, s, l);
    m->pos += l;
  }
  lmb_touched(L, m, start, total);
  lua_settop(L, 1);
  return 1;
}

/* m:write_byte(v) */
static int s_write_byte(lua_State *L) {
  LMap *m;
  size_t len;
  lua_Integer v;
  unsigned char *p;
  lmb_checkselfw(L, &m, &len);
  v = lmb_checkint(L, 2);
  lmb_argcheck(L, v >= 0 && v <= 255, 2, "value out of range (0..255)");
  lmb_bytesw(L, m, &len);
  if (m->pos > len) return lmb_misuse(L, MB_E_RANGE);
  p = lmb_room(L, m, m->pos, 1, &len);
  if (remaining(m, len) == 0) return lmb_misuse(L, MB_E_RANGE);
  lmb_touched(L, m, m->pos, 1);
  p[m->pos] = (unsigned char)v;
  lmb_touched(L, m, m->pos, 1);
  m->pos++;
  lua_settop(L, 1);
  return 1;
}


/* ---------------------------------------------------------------------
** The cursor
** ------------------------------------------------------------------- */

/* m:seek([whence [, offset]]): the new cursor; a target outside 0..#m
** raises */
static int s_seek(lua_State *L) {
  static const char *const modes[] = {"set", "cur", "end", NULL};
  LMap *m;
  size_t len;
  lua_Integer off, base;
  int op;
  lmb_checkself(L, &m, &len);
  op = lmb_checkoption(L, 2, "cur", modes);
  off = lmb_optint(L, 3, 0);
  lmb_bytes(L, m, &len);
  base = op == 0 ? 0 : op == 1 ? (lua_Integer)m->pos : (lua_Integer)len;
  /* both base and len are below 2^63: these compares cannot overflow */
  lmb_argcheck(L, off >= -base && off <= (lua_Integer)len - base, 3,
                "out of range");
  m->pos = (size_t)(base + off);
  lua_pushinteger(L, (lua_Integer)m->pos);
  return 1;
}

static int s_tell(lua_State *L) {
  LMap *m;
  size_t len;
  lmb_checkself(L, &m, &len);
  lua_pushinteger(L, (lua_Integer)m->pos);
  return 1;
}

static int s_seekable(lua_State *L) {
  LMap *m;
  size_t len;
  lmb_checkself(L, &m, &len);
  lua_pushboolean(L, 1);
  return 1;
}

const luaL_Reg lmb_stream_methods[] = {
  {"seek", s_seek},
  {"tell", s_tell},
  {"read", s_read},
  {"lines", s_lines},
  {"write", s_write},
  {"readline", s_readline},
  {"read_byte", s_read_byte},
  {"write_byte", s_write_byte},
  {"seekable", s_seekable},
  {NULL, NULL}
};

const luaL_Reg lmb_stream_hidden[] = {
  {"lines", lines_iter},
  {"lines", lines_plain},
  {NULL, NULL}
};
