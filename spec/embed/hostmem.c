/*
** hostmem.c - a test host for spec/embed/hostmem_spec.lua: it owns buffers
** of memory, lends them to Lua with mapbuf_pushmemory and counts every
** release, then runs a Lua script given on the command line.
**
**   hostmem script.lua
**
** The script sees the module as `mapbuf` (registered with luaL_requiref)
** and this host as the global table `host`:
**   host.new(s [, writable])   a new buffer holding s, lent as a map:
**                              returns the map and the buffer's id
**   host.push(id [, writable]) another map over buffer id
**   host.peek(id)              the buffer's bytes, read by the host itself
**   host.poke(id, off, s)      the host writes s at 0-based offset off
**   host.pushed(id), host.released(id)   maps lent, release calls seen
**   host.free(id)              unmap the buffer: from now on any touch of
**                              its memory would crash the process
**   host.check(m), host.test(m)   mapbuf_checkmap / mapbuf_testmap: the
**                              length, the writability and the bytes
**   host.pushnull()            mapbuf_pushmemory(NULL, 5): code, pushed?
**   host.wrap(id [, writable]) buffer id wrapped by the core (mb_wrap) and
**                              handed over with mapbuf_pushmap
**   host.oom(id, how)          push buffer id ("pushmap" or "pushmemory")
**                              in a state whose allocations all fail
**   host.state()               a second lua_State: st:push(id, writable,
**                              global), st:run(code) -> results as strings,
**                              st:close()
**   host.threads(id, code, ...) two pthreads, each with its own lua_State
**                              running code over buffer id with arguments
**                              (map, thread number 1 or 2, ...); returns
**                              for each thread "ok" and its result as a
**                              string, or the error message
** After the script the main state is closed and each buffer's counts are
** printed ("buffer ID: pushed P released R"); exit status 0, 1 when the
** script failed, 3 when a release came twice or with the wrong memory.
*/
#define _DEFAULT_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"
#include "mapbuf_lua.h"

/* This host builds against Lua 5.1 .. 5.4 and LuaJIT, as hosts that
** embed Lua do: the few calls it needs that older Luas lack, said with
** theirs. */
#if LUA_VERSION_NUM < 504
#define lua_newuserdatauv(L, size, nuv) lua_newuserdata(L, size)
#endif
#ifndef LUA_OK
#define LUA_OK 0
#endif
#ifndef luaL_newlib
#define luaL_newlib(L, l) (lua_newtable(L), luaL_register(L, NULL, l))
#endif
#if LUA_VERSION_NUM < 502
/* the value at index i as tostring makes it, pushed */
static const char *tostr(lua_State *L, int i) {
  if (i < 0) i = lua_gettop(L) + 1 + i;
  lua_getglobal(L, "tostring");
  lua_pushvalue(L, i);
  lua_call(L, 1, 1);
  return lua_tostring(L, -1);
}
#define luaL_tolstring(L, i, n) tostr(L, i)
#endif

#define MAXBUF 64

typedef struct buffer {
  unsigned char *base;
  size_t len, span;        /* bytes lent, bytes mapped (whole pages) */
  int freed;
  atomic_int pushed, released;
} buffer;

static buffer bufs[MAXBUF];
static int nbufs;
static atomic_int bad;     /* releases with the wrong pointer or length */

static void release(void *ud, void *p, size_t len) {
  buffer *b = (buffer *)ud;
  /* zero-length memory is handed back as NULL by the core */
  if (len != b->len || (len > 0 && p != b->base)) atomic_fetch_add(&bad, 1);
  atomic_fetch_add(&b->released, 1);
}

static buffer *getbuf(lua_State *L, int arg) {
  lua_Integer id = luaL_checkinteger(L, arg);
  luaL_argcheck(L, id >= 1 && id <= nbufs, arg, "no such buffer");
  luaL_argcheck(L, !bufs[id - 1].freed, arg, "buffer was freed");
  return &bufs[id - 1];
}

/* Lend buffer b to L as a map (pushed on L's stack). */
static void lend(lua_State *L, buffer *b, int writable) {
  int rc = mapbuf_pushmemory(L, b->base, b->len, writable, release, b);
  if (rc != 0) luaL_error(L, "mapbuf_pushmemory: %d", rc);
  atomic_fetch_add(&b->pushed, 1);
}

static int h_new(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  int writable = lua_isnoneornil(L, 2) || lua_toboolean(L, 2);
  size_t ps = (size_t)sysconf(_SC_PAGESIZE);
  buffer *b;
  void *p;
  if (nbufs == MAXBUF) return luaL_error(L, "too many buffers");
  b = &bufs[nbufs];
  b->span = (len + ps - 1) / ps * ps;
  if (b->span == 0) b->span = ps;
  p = mmap(NULL, b->span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
           -1, 0);
  if (p == MAP_FAILED) return luaL_error(L, "mmap failed");
  b->base = p;
  b->len = len;
  memcpy(b->base, s, len);
  nbufs++;
  lend(L, b, writable);
  lua_pushinteger(L, nbufs);
  return 2;
}

static int h_push(lua_State *L) {
  buffer *b = getbuf(L, 1);
  lend(L, b, lua_isnoneornil(L, 2) || lua_toboolean(L, 2));
  return 1;
}

static int h_peek(lua_State *L) {
  buffer *b = getbuf(L, 1);
  lua_pushlstring(L, (const char *)b->base, b->len);
  return 1;
}

static int h_poke(lua_State *L) {
  buffer *b = getbuf(L, 1);
  lua_Integer off = luaL_checkinteger(L, 2);
  size_t n;
  const char *s = luaL_checklstring(L, 3, &n);
  luaL_argcheck(L, off >= 0 && (size_t)off <= b->len && n <= b->len - (size_t)off,
                2, "out of range");
  memcpy(b->base + off, s, n);
  return 0;
}

static int h_pushed(lua_State *L) {
  lua_pushinteger(L, atomic_load(&getbuf(L, 1)->pushed));
  return 1;
}

static int h_released(lua_State *L) {
  lua_pushinteger(L, atomic_load(&getbuf(L, 1)->released));
  return 1;
}

static int h_free(lua_State *L) {
  buffer *b = getbuf(L, 1);
  munmap(b->base, b->span);
  b->freed = 1;
  return 0;
}

static int pushcheck(lua_State *L, void *p, size_t len, int w) {
  if (p == NULL) { lua_pushnil(L); return 1; }
  lua_pushinteger(L, (lua_Integer)len);
  lua_pushboolean(L, w);
  lua_pushlstring(L, (const char *)p, len);
  return 3;
}

static int h_check(lua_State *L) {
  size_t len = 99;
  int w = 99;
  void *p = mapbuf_checkmap(L, 1, &len, &w);
  return pushcheck(L, p, len, w);
}

static int h_test(lua_State *L) {
  size_t len = 99;
  int w = 99;
  void *p = mapbuf_testmap(L, 1, &len, &w);
  /* the NULL-tolerant outputs: asking for nothing must work too */
  if (mapbuf_testmap(L, 1, NULL, NULL) != p) return luaL_error(L, "testmap differs");
  return pushcheck(L, p, len, w);
}

static int h_pushnull(lua_State *L) {
  int top = lua_gettop(L);
  int rc = mapbuf_pushmemory(L, NULL, 5, 1, release, NULL);
  lua_pushinteger(L, rc);
  lua_pushboolean(L, lua_gettop(L) != top + 1);
  return 2;
}


/* host.wrap(id [, writable]): the core wraps buffer id (mb_wrap) and the
** map goes to Lua with mapbuf_pushmap, which takes ownership of it */
static int h_wrap(lua_State *L) {
  buffer *b = getbuf(L, 1);
  mb_map *m;
  if (mb_wrap(&m, b->base, b->len, lua_isnoneornil(L, 2) || lua_toboolean(L, 2),
              release, b) != 0)
    return luaL_error(L, "mb_wrap failed");
  atomic_fetch_add(&b->pushed, 1);
  mapbuf_pushmap(L, m);
  return 1;
}


/* ---- out of memory: a state whose allocator fails on demand ---- */

static int failing;   /* only set while one state runs in this thread */

static void *lalloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  if (nsize == 0) { free(ptr); return NULL; }
  /* Lua counts on shrinking never failing */
  if (failing && (ptr == NULL || nsize > osize)) return NULL;
  return realloc(ptr, nsize);
}

static int oompushmap(lua_State *L) {
  mb_map *m = (mb_map *)lua_touserdata(L, 1);
  failing = 1;
  mapbuf_pushmap(L, m);
  failing = 0;
  return 1;
}

static int oompushmemory(lua_State *L) {
  buffer *b = (buffer *)lua_touserdata(L, 1);
  failing = 1;
  if (mapbuf_pushmemory(L, b->base, b->len, 1, release, b) == 0)
    atomic_fetch_add(&b->pushed, 1);
  failing = 0;
  return 1;
}

/* host.oom(id, "pushmap" | "pushmemory"): push buffer id while every
** allocation fails; returns whether the push raised a memory error.  The
** counts tell the rest: pushmap owns its core even when it raises (the
** core is freed: released once); pushmemory owes nothing when it raises. */
static int h_oom(lua_State *L) {
  buffer *b = getbuf(L, 1);
  const char *how = luaL_checkstring(L, 2);
  lua_State *S = lua_newstate(lalloc, NULL);
  int st;
  if (S == NULL) return luaL_error(L, "out of memory");
  if (strcmp(how, "pushmap") == 0) {
    mb_map *m;
    if (mb_wrap(&m, b->base, b->len, 1, release, b) != 0)
      return luaL_error(L, "mb_wrap failed");
    atomic_fetch_add(&b->pushed, 1);
    lua_pushcfunction(S, oompushmap);
    lua_pushlightuserdata(S, m);
  } else {
    lua_pushcfunction(S, oompushmemory);
    lua_pushlightuserdata(S, b);
  }
  st = lua_pcall(S, 1, 1, 0);
  failing = 0;
  /* how it failed: a memory error, or (as 5.1 .. 5.3 raise it again) a
  ** runtime error whose message is Lua's "not enough memory" */
  if (st == LUA_ERRMEM)
    lua_pushliteral(L, "memory error");
  else if (st != LUA_OK && strcmp(lua_tostring(S, -1), "not enough memory") == 0)
    lua_pushliteral(L, "runtime error: not enough memory");
  else
    lua_pushfstring(L, "status %d", st);
  lua_close(S);
  return 1;
}


/* ---- a second lua_State, driven from the first ---- */

typedef struct state { lua_State *L; } state;

static lua_State *newstate(void) {
  lua_State *L = luaL_newstate();
  if (L == NULL) return NULL;
  luaL_openlibs(L);
  /* this host's own mapbuf, preloaded, required and made global (what
  ** luaL_requiref does, on every Lua) */
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, luaopen_mapbuf);
  lua_setfield(L, -2, "mapbuf");
  lua_pop(L, 2);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "mapbuf");
  lua_call(L, 1, 1);
  lua_setglobal(L, "mapbuf");
  return L;
}

static state *checkstate(lua_State *L) {
  state *st = (state *)luaL_checkudata(L, 1, "hostmem.state");
  if (st->L == NULL) luaL_error(L, "state is closed");
  return st;
}

static int st_push(lua_State *L) {
  state *st = checkstate(L);
  buffer *b = getbuf(L, 2);
  int writable = lua_isnoneornil(L, 3) || lua_toboolean(L, 3);
  const char *name = luaL_optstring(L, 4, "m");
  if (mapbuf_pushmemory(st->L, b->base, b->len, writable, release, b) != 0)
    return luaL_error(L, "mapbuf_pushmemory failed");
  atomic_fetch_add(&b->pushed, 1);
  lua_setglobal(st->L, name);
  return 0;
}

/* st:run(code): the chunk's results, each through tostring */
static int st_run(lua_State *L) {
  state *st = checkstate(L);
  const char *code = luaL_checkstring(L, 2);
  int base = lua_gettop(st->L), i, n;
  if (luaL_loadstring(st->L, code) != LUA_OK ||
      lua_pcall(st->L, 0, LUA_MULTRET, 0) != LUA_OK) {
    lua_pushstring(L, lua_tostring(st->L, -1));
    lua_settop(st->L, base);
    return lua_error(L);
  }
  n = lua_gettop(st->L) - base;
  luaL_checkstack(L, n, "too many results");
  for (i = 1; i <= n; i++)
    lua_pushstring(L, luaL_tolstring(st->L, base + i, NULL));
  lua_settop(st->L, base);
  return n;
}

static int st_close(lua_State *L) {
  state *st = (state *)luaL_checkudata(L, 1, "hostmem.state");
  if (st->L != NULL) { lua_close(st->L); st->L = NULL; }
  return 0;
}

static int h_state(lua_State *L) {
  state *st = (state *)lua_newuserdatauv(L, sizeof *st, 0);
  st->L = NULL;
  if (luaL_newmetatable(L, "hostmem.state")) {
    static const luaL_Reg m[] = {{"push", st_push}, {"run", st_run},
                                 {"close", st_close}, {NULL, NULL}};
    luaL_newlib(L, m);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, st_close);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  if ((st->L = newstate()) == NULL) return luaL_error(L, "out of memory");
  return 1;
}


/* ---- two threads, each with its own lua_State, over one buffer ---- */

#define MAXARGS 8

typedef struct job {
  pthread_t tid;
  buffer *b;
  const char *code;
  int who, nargs;
  lua_Integer args[MAXARGS];
  int ok;
  char out[512];
} job;

static void *runjob(void *arg) {
  job *j = (job *)arg;
  lua_State *L = newstate();
  int i;
  if (L == NULL) { snprintf(j->out, sizeof j->out, "out of memory"); return NULL; }
  if (luaL_loadstring(L, j->code) == LUA_OK) {
    if (mapbuf_pushmemory(L, j->b->base, j->b->len, 1, release, j->b) == 0) {
      atomic_fetch_add(&j->b->pushed, 1);
      lua_pushinteger(L, j->who);
      for (i = 0; i < j->nargs; i++) lua_pushinteger(L, j->args[i]);
      j->ok = lua_pcall(L, 2 + j->nargs, 1, 0) == LUA_OK;
    } else {
      lua_pushliteral(L, "mapbuf_pushmemory failed");
    }
  }
  snprintf(j->out, sizeof j->out, "%s", luaL_tolstring(L, -1, NULL));
  lua_close(L);   /* collects the map: its release runs here, in this thread */
  return NULL;
}

static int h_threads(lua_State *L) {
  buffer *b = getbuf(L, 1);
  const char *code = luaL_checkstring(L, 2);
  int nargs = lua_gettop(L) - 2, i, k;
  job jobs[2];
  luaL_argcheck(L, nargs <= MAXARGS, MAXARGS + 3, "too many arguments");
  for (k = 0; k < 2; k++) {
    memset(&jobs[k], 0, sizeof jobs[k]);
    jobs[k].b = b;
    jobs[k].code = code;
    jobs[k].who = k + 1;
    jobs[k].nargs = nargs;
    for (i = 0; i < nargs; i++) jobs[k].args[i] = luaL_checkinteger(L, 3 + i);
  }
  for (k = 0; k < 2; k++)
    if (pthread_create(&jobs[k].tid, NULL, runjob, &jobs[k]) != 0)
      return luaL_error(L, "pthread_create failed");
  for (k = 0; k < 2; k++) pthread_join(jobs[k].tid, NULL);
  for (k = 0; k < 2; k++) {
    lua_pushboolean(L, jobs[k].ok);
    lua_pushstring(L, jobs[k].out);
  }
  return 4;
}


static const luaL_Reg hostfuncs[] = {
  {"new", h_new}, {"push", h_push}, {"peek", h_peek}, {"poke", h_poke},
  {"pushed", h_pushed}, {"released", h_released}, {"free", h_free},
  {"check", h_check}, {"test", h_test}, {"pushnull", h_pushnull},
  {"state", h_state}, {"threads", h_threads}, {"wrap", h_wrap},
  {"oom", h_oom}, {NULL, NULL}
};

int main(int argc, char **argv) {
  lua_State *L;
  int ok, i, status = 0;
  if (argc != 2) {
    fprintf(stderr, "usage: %s script.lua\n", argv[0]);
    return 2;
  }
  if ((L = newstate()) == NULL) return 1;
  luaL_newlib(L, hostfuncs);
  lua_setglobal(L, "host");
  ok = luaL_dofile(L, argv[1]) == LUA_OK;
  if (!ok) fprintf(stderr, "hostmem: %s\n", lua_tostring(L, -1));
  lua_close(L);   /* every map still open is collected: released here */
  for (i = 0; i < nbufs; i++) {
    int p = atomic_load(&bufs[i].pushed), r = atomic_load(&bufs[i].released);
    printf("buffer %d: pushed %d released %d\n", i + 1, p, r);
    if (r > p) status = 3;
  }
  if (atomic_load(&bad) != 0) {
    printf("bad releases: %d\n", atomic_load(&bad));
    status = 3;
  }
  fflush(stdout);
  return !ok ? 1 : status;
}
