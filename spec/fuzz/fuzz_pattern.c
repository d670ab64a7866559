/*
** fuzz_pattern.c - a differential fuzzer for the core's Lua patterns:
** every answer of mb_pfind, mb_pmatchat and of a compiled pattern
** (mb_pcompile + mb_pexec in each mode) is compared with Lua 5.4's own
** string.find, string.match or string.gmatch on the same subject, pattern
** and start (results, captures, and the exact error message), and any
** difference aborts.
**
** Input layout:
**   byte 0   what to compare (taken modulo 6), and how many times the
**            pattern bytes are repeated (1 + byte 0 / 6 % 8, so that
**            patterns reach Lua's 200 levels: "a-" 200 times is "pattern
**            too complex" on "a"):
**              0  mb_pfind                      string.find(s, p, i)
**              1  mb_pmatchat                   string.find(s, "^" .. p, i)
**              2  mb_pexec MB_PEXEC_FIND        string.match(s, p, i)
**              3  an MB_PEXEC_NEXT loop         string.gmatch(s, p, i)
**              4  one compiled pattern at many starts: MB_PEXEC_FIND
**                 against string.match, MB_PEXEC_AT against
**                 string.find(s, "^" .. p, i)
**              5  an MB_PEXEC_AT loop           string.gmatch(s, p, i)
**   byte 1   start position selector (taken modulo #subject + 2)
**   byte 2   pattern length (clipped to what is left)
**   ...      the pattern, then the subject (the rest)
**
** Both sides are written out as one canonical text (values, then an
** error if one was raised) and the texts must be equal.
**
** Backtracking is exponential in the number of quantifiers, in Lua as
** here, so the subject is clipped to a length whose worst case stays
** small; otherwise every long input would be reported as a timeout.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "mapbuf.h"
#include "budget.h"

#define MAXSUBJECT 4096
#define BUDGET 2e6     /* worst-case match steps allowed per input */
#define MAXGMATCH 64   /* gmatch results compared */
#define MAXINITS 24    /* starts tried with one compiled pattern */

static lua_State *L;

/* ---------------- canonical texts ---------------- */

typedef struct Text {
  char *b;
  size_t n, cap;
} Text;

static void put(Text *t, const void *p, size_t n) {
  if (t->n + n + 1 > t->cap) {
    t->cap = (t->n + n + 1) * 2;
    t->b = realloc(t->b, t->cap);
  }
  memcpy(t->b + t->n, p, n);
  t->n += n;
  t->b[t->n] = '\0';
}

static void putint(Text *t, long long v) {
  char buf[32];
  put(t, buf, (size_t)snprintf(buf, sizeof buf, "i%lld;", v));
}

static void putstr(Text *t, const void *s, size_t n) {
  char buf[32];
  put(t, buf, (size_t)snprintf(buf, sizeof buf, "s%zu:", n));
  put(t, s, n);
  put(t, ";", 1);
}

static void puterr(Text *t, const char *msg) {
  put(t, "E:", 2);
  put(t, msg, strlen(msg));
}

/* ---------------- Lua's side ---------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc; (void)argv;
  L = luaL_newstate();
  luaL_openlibs(L);
  /* gmatch results as one table: every value of every step, "|" between
  ** steps; an error is caught by the caller's pcall */
  if (luaL_dostring(L,
        "local gm = string.gmatch\n"
        "return function(s, p, i, max)\n"
        "  local out, n = {}, 0\n"
        "  local f = gm(s, p, i)\n"
        "  while n < max do\n"
        "    local r = table.pack(f())\n"
        "    if r[1] == nil then break end\n"
        "    out[#out + 1] = r\n"
        "    n = n + 1\n"
        "  end\n"
        "  return out\n"
        "end\n") != LUA_OK) abort();
  lua_setfield(L, LUA_REGISTRYINDEX, "fuzz.gmatch");
  return 0;
}

static void putvalue(Text *t, int idx) {
  if (lua_isinteger(L, idx)) putint(t, (long long)lua_tointeger(L, idx));
  else if (lua_isnil(L, idx)) put(t, "n;", 2);
  else {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    putstr(t, s, n);
  }
}

/* string.<fname>(s, p, init + 1), written to t. */
static void luacall(Text *t, const char *fname, const unsigned char *s,
                    size_t ls, const char *p, size_t lp, size_t init) {
  int top = lua_gettop(L), i;
  lua_getglobal(L, "string");
  lua_getfield(L, -1, fname);
  lua_remove(L, -2);
  lua_pushlstring(L, (const char *)s, ls);
  lua_pushlstring(L, p, lp);
  lua_pushinteger(L, (lua_Integer)init + 1);
  if (lua_pcall(L, 3, LUA_MULTRET, 0) != LUA_OK)
    puterr(t, lua_tostring(L, -1));
  else
    for (i = top + 1; i <= lua_gettop(L); i++) putvalue(t, i);
  lua_settop(L, top);
}

/* All steps of string.gmatch(s, p, init + 1), written to t. */
static void luagmatch(Text *t, const unsigned char *s, size_t ls,
                      const char *p, size_t lp, size_t init) {
  int top = lua_gettop(L);
  lua_getfield(L, LUA_REGISTRYINDEX, "fuzz.gmatch");
  lua_pushlstring(L, (const char *)s, ls);
  lua_pushlstring(L, p, lp);
  lua_pushinteger(L, (lua_Integer)init + 1);
  lua_pushinteger(L, MAXGMATCH);
  if (lua_pcall(L, 4, 1, 0) != LUA_OK) {
    /* raised inside the wrapper, the message names its line: drop that */
    const char *msg = lua_tostring(L, -1), *q = strstr(msg, "\"]:");
    if (strncmp(msg, "[string ", 8) == 0 && q && (q = strstr(q, ": ")))
      msg = q + 2;
    puterr(t, msg);
  }
  else {
    lua_Integer k, n = luaL_len(L, -1);
    for (k = 1; k <= n; k++) {
      lua_Integer j, m;
      lua_rawgeti(L, -1, k);
      lua_getfield(L, -1, "n");
      m = lua_tointeger(L, -1);
      lua_pop(L, 1);
      for (j = 1; j <= m; j++) {
        lua_rawgeti(L, -1, j);
        putvalue(t, -1);
        lua_pop(L, 1);
      }
      put(t, "|", 1);
      lua_pop(L, 1);
    }
  }
  lua_settop(L, top);
}

/* ---------------- mapbuf's side ---------------- */

/* The captures of a match as Lua pushes them (the whole match when there
** are none and whole is set); 0, or -1 after writing the error that
** pushing an unfinished capture raises. */
static int putcaptures(Text *t, const unsigned char *s, const mb_match *mt,
                       int whole) {
  int i;
  for (i = 0; i < mt->level; i++)
    if (mt->capture[i].len == MB_CAP_UNFINISHED) {
      puterr(t, "unfinished capture");
      return -1;
    }
  if (mt->level == 0 && whole) putstr(t, s + mt->start, mt->end - mt->start);
  for (i = 0; i < mt->level; i++) {
    const mb_capture *c = &mt->capture[i];
    if (c->len == MB_CAP_POSITION) putint(t, (long long)c->init + 1);
    else putstr(t, s + c->init, (size_t)c->len);
  }
  return 0;
}

/* A find-style answer: start, end, captures; or nil; or the error. */
static void putfind(Text *t, int rc, const unsigned char *s,
                    const mb_match *mt) {
  if (rc == MB_E_PATTERN) { puterr(t, mt->err); return; }
  if (rc == 0) { put(t, "n;", 2); return; }
  {
    Text tmp = {0};
    putint(&tmp, (long long)mt->start + 1);
    putint(&tmp, (long long)mt->end);
    if (putcaptures(&tmp, s, mt, 0) < 0) {   /* Lua raises instead */
      tmp.n = 0;
      puterr(&tmp, "unfinished capture");
    }
    put(t, tmp.b, tmp.n);
    free(tmp.b);
  }
}

/* A match-style answer: the captures or the whole match; nil; error. */
static void putmatch(Text *t, int rc, const unsigned char *s,
                     const mb_match *mt) {
  Text tmp = {0};
  if (rc == MB_E_PATTERN) { puterr(t, mt->err); return; }
  if (rc == 0) { put(t, "n;", 2); return; }
  if (putcaptures(&tmp, s, mt, 1) < 0) {
    tmp.n = 0;
    puterr(&tmp, "unfinished capture");
  }
  put(t, tmp.b, tmp.n);
  free(tmp.b);
}

/* gmatch over a compiled pattern, as the binding does it: each step
** searches from where the last match ended (MB_PEXEC_NEXT), or tries
** each position in turn (MB_PEXEC_AT, slow = 1); an empty match right
** where the previous one ended is skipped. */
static void ourgmatch(Text *t, const mb_pattern *pp, const unsigned char *s,
                      size_t ls, size_t init, int slow) {
  size_t src = init, last = 0;
  int haslast = 0, n = 0;
  mb_match mt;
  while (n < MAXGMATCH && src <= ls) {
    int rc;
    if (slow) {
      rc = mb_pexec(pp, s, ls, src, MB_PEXEC_AT, &mt);
      if (rc == 0 || (rc == 1 && haslast && mt.end == last)) {
        src++;
        continue;
      }
    }
    else {
      rc = mb_pexec(pp, s, ls, src, MB_PEXEC_NEXT, &mt);
      if (rc == 0) return;
      if (rc == 1 && haslast && mt.end == last) {
        src = mt.start + 1;
        continue;
      }
    }
    /* an error ends the loop, and Lua's results so far with it */
    if (rc == MB_E_PATTERN) { t->n = 0; puterr(t, mt.err); return; }
    if (putcaptures(t, s, &mt, 1) < 0) {
      t->n = 0;
      puterr(t, "unfinished capture");
      return;
    }
    put(t, "|", 1);
    n++;
    src = last = mt.end;
    haslast = 1;
  }
}

/* ---------------- the comparison ---------------- */

static void fail(const char *what, const Text *lua, const Text *mb,
                 const unsigned char *s, size_t ls, const char *p,
                 size_t lp, size_t init) {
  fprintf(stderr, "fuzz_pattern: %s differs\n  pattern (%zu) = \"", what, lp);
  fwrite(p, 1, lp, stderr);
  fprintf(stderr, "\"\n  subject (%zu) = \"", ls);
  fwrite(s, 1, ls, stderr);
  fprintf(stderr, "\"\n  init (0-based) = %zu\n  Lua: ", init);
  fwrite(lua->b, 1, lua->n, stderr);
  fprintf(stderr, "\n  mb:  ");
  fwrite(mb->b, 1, mb->n, stderr);
  fprintf(stderr, "\n");
  abort();
}

static void same(const char *what, Text *lua, Text *mb,
                 const unsigned char *s, size_t ls, const char *p,
                 size_t lp, size_t init) {
  if (lua->n != mb->n || (lua->n && memcmp(lua->b, mb->b, lua->n) != 0))
    fail(what, lua, mb, s, ls, p, lp, init);
  lua->n = mb->n = 0;
}

static mb_pattern *compile(const char *p, size_t lp) {
  mb_pattern *pp;
  if (mb_pcompile(&pp, p, lp) != 0) abort();
  if (((mb_pflags(pp) & MB_PANCHOR) != 0) != (lp > 0 && p[0] == '^'))
    abort();
  return pp;
}

/* p with a '^' in front, in which p's own '^' is an ordinary byte. */
static char *anchored(const char *p, size_t lp) {
  char *q = malloc(lp + 1);
  q[0] = '^';
  memcpy(q + 1, p, lp);
  return q;
}

static void run(int mode, const unsigned char *s, size_t ls, const char *p,
                size_t lp, size_t init, unsigned seed) {
  Text lua = {0}, mb = {0};
  mb_match mt;
  mb_pattern *pp = NULL;
  char *ap = anchored(p, lp);
  memset(&mt, 0xAB, sizeof mt);
  switch (mode) {
    case 0:
      luacall(&lua, "find", s, ls, p, lp, init);
      putfind(&mb, mb_pfind(s, ls, p, lp, init, &mt), s, &mt);
      same("mb_pfind / string.find", &lua, &mb, s, ls, p, lp, init);
      break;
    case 1:
      luacall(&lua, "find", s, ls, ap, lp + 1, init);
      putfind(&mb, mb_pmatchat(s, ls, p, lp, init, &mt), s, &mt);
      same("mb_pmatchat / string.find ^", &lua, &mb, s, ls, p, lp, init);
      break;
    case 2:
      pp = compile(p, lp);
      luacall(&lua, "match", s, ls, p, lp, init);
      putmatch(&mb, mb_pexec(pp, s, ls, init, MB_PEXEC_FIND, &mt), s, &mt);
      same("MB_PEXEC_FIND / string.match", &lua, &mb, s, ls, p, lp, init);
      break;
    case 3: case 5:
      pp = compile(p, lp);
      luagmatch(&lua, s, ls, p, lp, init);
      ourgmatch(&mb, pp, s, ls, init, mode == 5);
      same(mode == 3 ? "MB_PEXEC_NEXT / string.gmatch"
                     : "MB_PEXEC_AT / string.gmatch", &lua, &mb, s, ls, p,
           lp, init);
      break;
    default: {   /* one program, many starts, in a scrambled order */
      size_t k, n = ls + 2 < MAXINITS ? ls + 2 : MAXINITS;
      pp = compile(p, lp);
      for (k = 0; k < n; k++) {
        size_t i = (init + k * (seed | 1)) % (ls + 2);
        luacall(&lua, "match", s, ls, p, lp, i);
        putmatch(&mb, mb_pexec(pp, s, ls, i, MB_PEXEC_FIND, &mt), s, &mt);
        same("reused MB_PEXEC_FIND / string.match", &lua, &mb, s, ls, p,
             lp, i);
        luacall(&lua, "find", s, ls, ap, lp + 1, i);
        putfind(&mb, mb_pexec(pp, s, ls, i, MB_PEXEC_AT, &mt), s, &mt);
        same("reused MB_PEXEC_AT / string.find ^", &lua, &mb, s, ls, p, lp,
             i);
      }
      break;
    }
  }
  mb_pfree(pp);
  free(ap);
  free(lua.b);
  free(mb.b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t lp, ls, init, most, n, k, times = 1 + (size_t)(data[0] / 6 % 8);
  char *p;
  unsigned char *s;
  if (size < 3) return 0;
  n = data[2];
  if (n > size - 3) n = size - 3;
  ls = size - 3 - n;
  /* copies of exactly the right size, so ASan sees any read past them */
  lp = n * times;
  p = malloc(lp ? lp : 1);
  for (k = 0; k < times; k++) memcpy(p + k * n, data + 3, n);
  most = fuzz_maxsubject(p, lp, MAXSUBJECT, BUDGET);
  if ((data[0] % 6) >= 3 && most > 1) most /= 2;   /* several searches */
  if (ls > most) ls = most;
  s = malloc(ls ? ls : 1);
  memcpy(s, data + 3 + n, ls);
  init = data[1] % (ls + 2);
  run(data[0] % 6, s, ls, p, lp, init, data[1] * 2654435761u >> 7);
  if (lua_gc(L, LUA_GCCOUNT, 0) > 1 << 14) lua_gc(L, LUA_GCCOLLECT, 0);
  free(p);
  free(s);
  return 0;
}
