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

#define MAXLENNUM 200      /* longest numeral "n" reads, as liolib */
#define MAXARGLINE 250     /* most formats lines takes, as liolib */

/* Bytes left after the cursor (none when a shrink left it past the end). */
static size_t remaining(const LMap *m, size_t len) {
  return m->pos < len ? len - m->pos : 0;
}


/* ---------------------------------------------------------------------
** read
** ------------------------------------------------------------------- */

/* State of reading a numeral from the bytes at the cursor. */
typedef struct NumReader {
  const unsigned char *s;  /* the bytes from the cursor */
  size_t n, i;             /* their number; how many were taken */
  int len;                 /* length of the numeral in buf */
  int toolong;
  char buf[MAXLENNUM + 1];
} NumReader;

/* Take the next byte into the numeral if it is one of set. */
static int take(NumReader *r, const char *set) {
  int c;
  if (r->toolong || r->i >= r->n) return 0;
  c = r->s[r->i];
  if (c == '\0' || strchr(set, c) == NULL) return 0;
  if (r->len >= MAXLENNUM) { r->toolong = 1; return 0; }
  r->buf[r->len++] = (char)c;
  r->i++;
  return 1;
}

static int takedigits(NumReader *r, int hex) {
  int count = 0;
  while (take(r, hex ? "0123456789abcdefABCDEF" : "0123456789")) count++;
  return count;
}

/* The "n" format: skip white space, take the longest prefix that looks
** like a numeral (as liolib does, at most MAXLENNUM bytes; what was taken
** is consumed even when it turns out not to be a number), convert it. */
static int readnumber(lua_State *L, LMap *m, const unsigned char *p,
                      size_t len) {
  NumReader r;
  int count = 0, hex = 0;
  char point[3] = {lua_getlocaledecpoint(), '.', '\0'};
  r.s = p + m->pos;
  r.n = remaining(m, len);
  r.i = 0;
  r.len = 0;
  r.toolong = 0;
  while (r.i < r.n && isspace(r.s[r.i])) r.i++;
  take(&r, "-+");
  if (take(&r, "0")) {
    if (take(&r, "xX")) hex = 1;
    else count = 1;
  }
  count += takedigits(&r, hex);
  if (take(&r, point)) count += takedigits(&r, hex);
  if (count > 0 && take(&r, hex ? "pP" : "eE")) {
    take(&r, "-+");
    takedigits(&r, 0);
  }
  /* the byte that ended the numeral was looked at too */
  lmb_touched(L, m, m->pos, r.i < r.n ? r.i + 1 : r.i);
  m->pos += r.i;
  r.buf[r.toolong ? 0 : r.len] = '\0';
  if (lua_stringtonumber(L, r.buf) != 0) return 1;
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

/* Read from map m (at index 1) with the formats at first .. top, as
** liolib's g_read: stop at the first that fails, which gives nil. */
static int g_read(lua_State *L, LMap *m, int first) {
  int nargs = lua_gettop(L) - first + 1, n, ok = 1;
  size_t len;
  const unsigned char *p;
  if (nargs <= 0) {
    p = lmb_bytes(L, m, &len);
    readline(L, m, p, len, 0);
    return 1;
  }
  luaL_checkstack(L, nargs + LUA_MINSTACK, "too many arguments");
  for (n = first; nargs-- > 0 && ok; n++) {
    if (lua_type(L, n) == LUA_TNUMBER) {
      /* a negative count is a huge one, as file:read takes it */
      size_t l = (size_t)lmb_checkint(L, n);
      p = lmb_bytes(L, m, &len);
      if (l == 0) {
        ok = remaining(m, len) > 0;
        if (ok) lua_pushliteral(L, "");
        else luaL_pushfail(L);
      } else {
        ok = readchars(L, m, p, len, l);
      }
    } else {
      const char *f = lmb_checklstring(L, n, NULL);   /* as file:read says it */
      if (*f == '*') f++;   /* "*l" and the like, as liolib still allows */
      p = lmb_bytes(L, m, &len);
      switch (*f) {
        case 'n': ok = readnumber(L, m, p, len); break;
        case 'l': ok = readline(L, m, p, len, 0); break;
        case 'L': ok = readline(L, m, p, len, 1); break;
        case 'a': {
          size_t rem = remaining(m, len);
          lmb_touched(L, m, m->pos, rem);
          lua_pushlstring(L, (const char *)p + (rem ? m->pos : 0), rem);
          lmb_touched(L, m, m->pos, rem);
          m->pos += rem;
          break;
        }
        default: return lmb_argerror(L, n, "invalid format");
      }
    }
  }
  return n - first;
}

/* m:read(...) */
static int s_read(lua_State *L) {
  LMap *m;
  size_t len;
  const unsigned char *p = lmb_checkself(L, &m, &len);
  int top = lua_gettop(L);
  /* m:read(), m:read("l"), m:read("L"): a line, without g_read's setup */
  if (top <= 2) {
    const char *f = top == 1 ? "l"
                  : lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "";
    if (*f == '*') f++;
    if (*f == 'l' || *f == 'L') {
      readline(L, m, p, len, *f == 'L');
      return 1;
    }
  }
  return g_read(L, m, 2);
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
  r = g_read(L, m, 2);
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
    int n = lua_isinteger(L, k)
      ? snprintf(buf, 64, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, k))
      : snprintf(buf, 64, LUA_NUMBER_FMT, (LUAI_UACNUMBER)lua_tonumber(L, k));
    *l = (size_t)n;
    return buf;
  }
  return lmb_checklstring(L, k, l);
}

/* m:write(...): all or nothing; nothing here allocates, so the bytes
** checked are the bytes written */
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
  p = lmb_bytesw(L, m, &len);
  /* past the end (after a shrink) even "" does not fit, as in Python */
  if (m->pos > len || total > len - m->pos)
    return lmb_misuse(L, MB_E_RANGE);
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
  p = lmb_bytesw(L, m, &len);
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
