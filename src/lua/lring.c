/*
** lring.c - the ring (core: ring.c) as a Lua object.  require "mapbuf.ring"
** (lua/mapbuf/ring.lua) gets these functions from mapbuf._ring().
**
** A ring object holds a core ring (mb_ring, which retains the core map) and
** keeps its map object alive through its uservalue.  Every method takes
** the ring and the map afresh after anything that may run Lua (an
** interruption point, an allocation): a finalizer or a hook may have
** closed either.  Blocking methods wait in slices and can be interrupted
** (lipc.h).
*/
#include <errno.h>
#include <string.h>

#include "lbind.h"
#include "lipc.h"

#define LMB_RING "mapbuf.ring"
#define RINGTAG 0x6d6272696e67ULL      /* "mbring" */
static const char ringkey = 0;

typedef struct LRing {
  uint64_t tag;                /* RINGTAG */
  const struct LRing *self;
  mb_ring *r;                  /* NULL once closed */
} LRing;


/* ---- errors ---- */

/* Raise for core code rc in method fname. */
static int rerror(lua_State *L, const char *fname, int rc) {
  switch (rc) {
    case MB_E_RANGE:
      return luaL_error(L, "mapbuf.ring: %s: the ring's bytes are out of "
                        "range of its map", fname);
    case MB_E_NORING: case MB_E_RINGVERSION: case MB_E_CORRUPT:
    case MB_E_LIVERING: case MB_E_RINGFIT: case MB_E_PRODUCER:
    case MB_E_CONSUMER: case MB_E_NOSLOT: case MB_E_FORKED:
    case MB_E_FORMATTING:
      return luaL_error(L, "mapbuf.ring: %s", mb_strerror(rc));
    default: return lmb_misusein(L, LMB_RING, fname, rc);
  }
}

/* "bad argument #n to 'f' (msg)", counting as Lua does for a method
** (self is not counted): arg is the stack index. */
static int rargerror(lua_State *L, int arg, const char *fname,
                     const char *msg) {
  return luaL_error(L, "bad argument #%d to '%s' (%s)", arg - 1, fname, msg);
}


/* ---- the object ---- */

static LRing *testring(lua_State *L, int idx) {
  LRing *R = (LRing *)lua_touserdata(L, idx);
  if (R != NULL && lua_rawlen(L, idx) == sizeof(LRing) && R->tag == RINGTAG &&
      R->self == R)
    return R;
  return NULL;
}

/* Argument 1: an open ring (raises "ring is closed" otherwise). */
static LRing *checkring(lua_State *L, const char *fname) {
  LRing *R = testring(L, 1);
  if (R == NULL)
    luaL_error(L, "calling '%s' on bad self (mapbuf.ring expected)", fname);
  if (R->r == NULL) luaL_error(L, "mapbuf.ring: ring is closed");
  return R;
}

/* The ring's map object, checked (open, a view still in range): raises
** as any method of the map would. */
static LMap *ringmap(lua_State *L) {
  LMap *m;
  size_t len;
  lua_getiuservalue(L, 1, 1);
  m = lmb_test(L, -1);
  lua_pop(L, 1);              /* the uservalue keeps it alive */
  if (m == NULL) lmb_misuse(L, MB_E_CLOSED);
  lmb_bytes(L, m, &len);
  return m;
}

/* The core ring of argument 1 now, its map checked. */
static mb_ring *ring(lua_State *L, const char *fname) {
  LRing *R = checkring(L, fname);
  ringmap(L);
  return R->r;
}

static double checktimeout(lua_State *L, int arg, const char *fname) {
  double t;
  if (lua_isnoneornil(L, arg)) return -1;
  if (lua_type(L, arg) != LUA_TNUMBER)
    return rargerror(L, arg, fname, lua_pushfstring(L, "number expected, got %s",
                                                    luaL_typename(L, arg)));
  t = (double)lua_tonumber(L, arg);
  if (!(t >= 0)) rargerror(L, arg, fname, "timeout must be a non-negative number");
  return t >= 1e9 ? -1 : t;
}


/* ---- push ---- */

static int pushwith(lua_State *L, const char *fname, double timeout) {
  size_t n;
  const char *msg;
  double dl;
  if (lua_type(L, 2) != LUA_TSTRING)
    return rargerror(L, 2, fname, lua_pushfstring(L, "string expected, got %s",
                                                  luaL_typename(L, 2)));
  msg = lua_tolstring(L, 2, &n);   /* a string on the stack: stays put */
  dl = timeout == 0 ? 0 : lmb_deadline(timeout);
  for (;;) {
    double s = timeout == 0 ? 0 : lmb_nextslice(dl);
    int rc, ok;
    mb_ring *r;
    lmb_intrpoint(L);
    r = ring(L, fname);
    rc = mb_ring_push(r, msg, n, s, MB_INTR, &ok);
    if (rc == EINTR) continue;
    if (rc == MB_E_TOOLONG)
      return rargerror(L, 2, "push", "message longer than the ring");
    if (rc != 0) return rerror(L, fname, rc);
    if (ok || s == 0 || (dl >= 0 && lmb_nextslice(dl) == 0)) {
      lua_pushboolean(L, ok);
      return 1;
    }
  }
}

static int r_push(lua_State *L) {
  checkring(L, "push");
  return pushwith(L, "push", checktimeout(L, 3, "push"));
}

static int r_try_push(lua_State *L) {
  checkring(L, "try_push");
  return pushwith(L, "try_push", 0);
}


/* ---- peek, pop, ack ---- */

/* The core ring of argument 1 after something that may have run Lua (an
** allocation): the ring may have been closed; the core checks the map. */
static mb_ring *again(lua_State *L) {
  LRing *R = (LRing *)lua_touserdata(L, 1);   /* checked before */
  if (R->r == NULL) luaL_error(L, "mapbuf.ring: ring is closed");
  return R->r;
}

/* Push a copy of the leased message of r (its length len); 0 if there is
** no lease any more. */
static int pushleased(lua_State *L, const char *fname, mb_ring *r, size_t len) {
  const void *p1, *p2;
  size_t n1, n2;
  int rc = mb_ring_view(r, &p1, &n1, &p2, &n2);
  if (rc != 0) return rerror(L, fname, rc);
  if (p1 == NULL) return 0;
  if (n2 == 0) {
    /* lua_pushlstring copies right after its allocation, which runs no
    ** finalizer (only its garbage collection step afterwards may) */
    lua_pushlstring(L, (const char *)p1, n1);
  } else {
    /* wrapped: gather it into a scratch block (whose allocation may run a
    ** finalizer, so the ring is looked up again), then make the string */
    char *d = (char *)lua_newuserdatauv(L, len, 0);
    if ((rc = mb_ring_read(again(L), d, len)) != 0) return rerror(L, fname, rc);
    lua_pushlstring(L, d, len);
    lua_remove(L, -2);
  }
  return 1;
}

/* Lease a message (waiting up to timeout) and push it; pop acknowledges
** it before returning.  Returns the number of results. */
static int takewith(lua_State *L, const char *fname, double timeout, int pop) {
  double dl = timeout == 0 ? 0 : lmb_deadline(timeout);
  for (;;) {
    double s = timeout == 0 ? 0 : lmb_nextslice(dl);
    size_t len;
    int rc, acked;
    mb_ring *r;
    lmb_intrpoint(L);
    r = ring(L, fname);
    rc = mb_ring_peek(r, s, MB_INTR, &len);
    if (rc == EINTR) continue;
    if (rc != 0) return rerror(L, fname, rc);
    if (mb_ring_leased(r)) {
      if (!pushleased(L, fname, r, len)) continue;
      /* check after copying: the core's next call looks whether the file
      ** shrank under the copy (and whether a finalizer closed the map) */
      r = again(L);
      if (pop) rc = mb_ring_ack(r, &acked);
      else {
        const void *p1, *p2;
        size_t n1, n2;
        acked = 1;
        rc = mb_ring_view(r, &p1, &n1, &p2, &n2);
      }
      if (rc != 0) return rerror(L, fname, rc);
      if (acked) return 1;
      lua_pop(L, 1);   /* lost to another consumer meanwhile: not ours */
      continue;
    }
    if (s == 0 || (dl >= 0 && lmb_nextslice(dl) == 0)) {
      lua_pushnil(L);
      if (timeout == 0) return 1;
      lua_pushliteral(L, "timeout");
      return 2;
    }
  }
}

static int r_pop(lua_State *L) {
  checkring(L, "pop");
  return takewith(L, "pop", checktimeout(L, 2, "pop"), 1);
}

static int r_try_pop(lua_State *L) {
  checkring(L, "try_pop");
  return takewith(L, "try_pop", 0, 1);
}

static int r_peek(lua_State *L) {
  checkring(L, "peek");
  return takewith(L, "peek", checktimeout(L, 2, "peek"), 0);
}

static int r_try_peek(lua_State *L) {
  checkring(L, "try_peek");
  return takewith(L, "try_peek", 0, 0);
}

static int r_ack(lua_State *L) {
  mb_ring *r = ring(L, "ack");
  int rc, acked;
  if ((rc = mb_ring_ack(r, &acked)) != 0) return rerror(L, "ack", rc);
  lua_pushboolean(L, acked);
  return 1;
}


/* ---- a look at it ---- */

static int r_stats(lua_State *L) {
  mb_ringstats s;
  mb_ring *r = ring(L, "stats");
  int rc = mb_ring_stats(r, &s);
  if (rc != 0) return rerror(L, "stats", rc);
  lua_createtable(L, 0, 16);
#define SETI(k, v) (lua_pushinteger(L, (lua_Integer)(v)), lua_setfield(L, -2, k))
  SETI("capacity", s.capacity);
  SETI("used", s.used);
  SETI("head", s.head);
  SETI("tail", s.tail);
  SETI("producers", s.producers);
  SETI("consumers", s.consumers);
  SETI("sleeping_producers", s.psleeping);
  SETI("sleeping_consumers", s.csleeping);
  SETI("stale_sleepers", s.stalesleepers);
  SETI("leases", s.leases);
  SETI("dead_leases", s.deadleases);
  SETI("pushed", s.pushed);
  SETI("acked", s.acked);
  SETI("handed_out", s.handed);
#undef SETI
  lua_pushboolean(L, s.multi);
  lua_setfield(L, -2, "multi");
  if (s.oldest >= 0) {
    lua_pushnumber(L, s.oldest);
    lua_setfield(L, -2, "oldest_lease");
  }
  return 1;
}

static int r_capacity(lua_State *L) {
  mb_ringstats s;
  mb_ring *r = ring(L, "capacity");
  int rc = mb_ring_stats(r, &s);
  if (rc != 0) return rerror(L, "capacity", rc);
  lua_pushinteger(L, (lua_Integer)s.capacity);
  return 1;
}

static int r_used(lua_State *L) {
  mb_ringstats s;
  mb_ring *r = ring(L, "used");
  int rc = mb_ring_stats(r, &s);
  if (rc != 0) return rerror(L, "used", rc);
  lua_pushinteger(L, (lua_Integer)s.used);
  return 1;
}

static int r_empty(lua_State *L) {
  mb_ringstats s;
  mb_ring *r = ring(L, "empty");
  int rc = mb_ring_stats(r, &s);
  if (rc != 0) return rerror(L, "empty", rc);
  lua_pushboolean(L, s.used == 0);
  return 1;
}

static int checkrole(lua_State *L, int arg, const char *fname) {
  const char *s = lua_tostring(L, arg);
  if (s != NULL && strcmp(s, "producer") == 0) return MB_RING_PRODUCER;
  if (s != NULL && strcmp(s, "consumer") == 0) return MB_RING_CONSUMER;
  return rargerror(L, arg, fname, "bad role: 'producer' or 'consumer'");
}

static int r_alive(lua_State *L) {
  int role, n, rc;
  mb_ring *r;
  checkring(L, "alive");
  role = checkrole(L, 2, "alive");
  r = ring(L, "alive");
  if ((rc = mb_ring_alive(r, role, &n)) != 0) return rerror(L, "alive", rc);
  lua_pushboolean(L, n > 0);
  return 1;
}

static int r_close(lua_State *L) {
  LRing *R = testring(L, 1);
  if (R == NULL) return luaL_error(L, "calling 'close' on bad self (mapbuf.ring expected)");
  if (R->r != NULL) {
    mb_ring *r = R->r;
    R->r = NULL;        /* first: nothing below can find it again */
    mb_ring_free(r);
  }
  return 0;
}

static int r_closed(lua_State *L) {
  LRing *R = testring(L, 1);
  if (R == NULL) return luaL_error(L, "calling 'closed' on bad self (mapbuf.ring expected)");
  lua_pushboolean(L, R->r == NULL);
  return 1;
}

static int r_tostring(lua_State *L) {
  LRing *R = testring(L, 1);
  mb_ringstats s;
  if (R == NULL || R->r == NULL || mb_ring_stats(R->r, &s) != 0) {
    lua_pushliteral(L, "mapbuf.ring(closed)");
    return 1;
  }
  lua_pushfstring(L, "mapbuf.ring(capacity=" LMB_I ", used=" LMB_I ", %s)",
                  LMB_IARG(s.capacity), LMB_IARG(s.used),
                  s.multi ? "multi" : "single");
  return 1;
}

static const luaL_Reg ring_methods[] = {
  {"push", r_push}, {"try_push", r_try_push},
  {"pop", r_pop}, {"try_pop", r_try_pop},
  {"peek", r_peek}, {"try_peek", r_try_peek}, {"ack", r_ack},
  {"stats", r_stats}, {"capacity", r_capacity}, {"used", r_used},
  {"empty", r_empty}, {"alive", r_alive},
  {"close", r_close}, {"closed", r_closed},
  {NULL, NULL}
};


/* ---- making one ---- */

enum { CREATE, ATTACH, OPEN };

typedef struct ringargs {
  mb_ringopts o;
  int role;                  /* 0, or MB_RING_PRODUCER / CONSUMER */
} ringargs;

/* opts (argument 2): capacity, multi, role, spin, force. */
static void readopts(lua_State *L, const char *fname, int how, ringargs *a) {
  static const char *const known[] = {"capacity", "multi", "role", "spin",
                                      "force", NULL};
  memset(a, 0, sizeof *a);
  a->o.multi = how == CREATE ? 0 : -1;
  a->o.spin = -1;
  if (lua_isnoneornil(L, 2)) return;
  if (!lua_istable(L, 2))
    luaL_error(L, "bad argument #2 to '%s' (table expected, got %s)", fname,
               luaL_typename(L, 2));
  lua_pushnil(L);
  while (lua_next(L, 2)) {
    int i, ok = 0;
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TSTRING)
      for (i = 0; known[i]; i++) ok |= strcmp(lua_tostring(L, -1), known[i]) == 0;
    if (!ok)
      luaL_error(L, "bad argument #2 to '%s' (unknown option '%s')", fname,
                 luaL_tolstring(L, -1, NULL));
  }
  if (lua_getfield(L, 2, "capacity") != LUA_TNIL) {
    int isint;
    lua_Integer c = lua_tointegerx(L, -1, &isint);
    if (!isint || c < 0)
      luaL_error(L, "bad argument #2 to '%s' (capacity must be a non-negative integer)",
                 fname);
    a->o.capacity = (uint64_t)c;
  }
  if (lua_getfield(L, 2, "multi") != LUA_TNIL)
    a->o.multi = lua_toboolean(L, -1);
  if (lua_getfield(L, 2, "spin") != LUA_TNIL) {
    int isint;
    lua_Integer sp = lua_tointegerx(L, -1, &isint);
    if (!isint || sp < 0)
      luaL_error(L, "bad argument #2 to '%s' (spin must be a non-negative integer)",
                 fname);
    a->o.spin = sp > 1000000000 ? 1000000000 : (int)sp;
  }
  if (lua_getfield(L, 2, "force") != LUA_TNIL) a->o.force = lua_toboolean(L, -1);
  if (lua_getfield(L, 2, "role") != LUA_TNIL) {
    const char *s = lua_tostring(L, -1);
    if (s != NULL && strcmp(s, "producer") == 0) a->role = MB_RING_PRODUCER;
    else if (s != NULL && strcmp(s, "consumer") == 0) a->role = MB_RING_CONSUMER;
    else luaL_error(L, "mapbuf.ring: bad role '%s' ('producer' or 'consumer')",
                    luaL_tolstring(L, -1, NULL));
  }
  lua_pop(L, 5);
}

/* Raise for a ring that is there but not as asked: say what it is. */
static int mismatch(lua_State *L, mb_map *core, size_t off, size_t len,
                    const ringargs *a, int rc) {
  mb_ring *r;
  mb_ringstats s;
  if (mb_ring_attach(&r, core, off, len, NULL) != 0 || mb_ring_stats(r, &s) != 0)
    return rerror(L, "attach", rc);
  mb_ring_free(r);
  if (rc == MB_E_RINGCAP)
    return luaL_error(L, "mapbuf.ring: the ring has capacity " LMB_I
                      ", not " LMB_I, LMB_IARG(s.capacity),
                      LMB_IARG(a->o.capacity / MB_RING_SLOT * MB_RING_SLOT));
  return luaL_error(L, "mapbuf.ring: the ring is %s, not %s",
                    s.multi ? "multi" : "single", s.multi ? "single" : "multi");
}

static int newring(lua_State *L, int how, const char *fname) {
  ringargs a;
  LRing *R;
  LMap *m = lmb_tomap(L, 1);
  mb_map *core;
  size_t len, off;
  int rc;
  readopts(L, fname, how, &a);
  lua_settop(L, 2);
  R = (LRing *)lua_newuserdatauv(L, sizeof(LRing), 1);
  R->tag = RINGTAG;
  R->self = R;
  R->r = NULL;
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, 1);
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &ringkey) != LUA_TTABLE)
    return luaL_error(L, "mapbuf.ring: not loaded");
  lua_setmetatable(L, -2);
  /* the map's bytes, after every allocation */
  lmb_bytes(L, m, &len);
  core = lmb_core(m);
  off = lmb_base(m);
  switch (how) {
    case CREATE: rc = mb_ring_create(&R->r, core, off, len, &a.o); break;
    case ATTACH: rc = mb_ring_attach(&R->r, core, off, len, &a.o); break;
    default: rc = mb_ring_open(&R->r, core, off, len, &a.o); break;
  }
  if (rc == MB_E_RINGCAP || rc == MB_E_RINGMODE)
    return mismatch(L, core, off, len, &a, rc);
  if (rc == MB_E_RINGFIT)
    return luaL_error(L, "mapbuf.ring: capacity " LMB_I
                      " does not fit a map of " LMB_I " bytes",
                      LMB_IARG(a.o.capacity), LMB_IARG(len));
  if (rc == MB_E_MISALIGNED)
    return luaL_error(L, "mapbuf.ring: %s: the ring must start 64-byte aligned",
                      fname);
  if (rc != 0) return rerror(L, fname, rc);
  if (a.role != 0 && (rc = mb_ring_role(R->r, a.role)) != 0) {
    mb_ring *r = R->r;
    R->r = NULL;
    mb_ring_free(r);
    return rerror(L, fname, rc);
  }
  return 1;
}

static int l_create(lua_State *L) { return newring(L, CREATE, "create"); }
static int l_attach(lua_State *L) { return newring(L, ATTACH, "attach"); }
static int l_open(lua_State *L) { return newring(L, OPEN, "open"); }

/* ring.size(capacity): bytes a map needs for a ring of that capacity. */
static int l_size(lua_State *L) {
  int isint;
  lua_Integer c = lua_tointegerx(L, 1, &isint);
  size_t n;
  if (!isint) return luaL_error(L, "bad argument #1 to 'size' (integer expected)");
  n = c < 0 ? 0 : mb_ring_size((uint64_t)c);
  if (n == 0)
    return luaL_error(L, "bad argument #1 to 'size' (capacity out of range: "
                      "%d .. " LMB_I ")", 2 * MB_RING_SLOT,
                      LMB_IARG(MB_RING_MAXCAP));
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}

/* ring.fit(bytes): the capacity of the largest ring that fits them. */
static int l_fit(lua_State *L) {
  int isint;
  lua_Integer n = lua_tointegerx(L, 1, &isint);
  if (!isint) return luaL_error(L, "bad argument #1 to 'fit' (integer expected)");
  lua_pushinteger(L, n < 0 ? 0 : (lua_Integer)mb_ring_fit((size_t)n));
  return 1;
}

static const luaL_Reg ring_metas[] = {
  {"__close", r_close}, {"__gc", r_close}, {"__tostring", r_tostring},
  {NULL, NULL}
};

static const luaL_Reg ring_funcs[] = {
  {"create", l_create}, {"attach", l_attach}, {"open", l_open},
  {"size", l_size}, {"fit", l_fit}, {NULL, NULL}
};

/* mapbuf._ring(): the table of the ring's functions (made once). */
int lmb_ringlib(lua_State *L) {
  lmb_pushclass(L, &ringkey, LMB_RING, ring_methods, ring_metas);
  luaL_newlib(L, ring_funcs);
  lua_getfield(L, -2, "__index");
  lua_setfield(L, -2, "methods");
  lua_pushinteger(L, MB_RING_SLOT);
  lua_setfield(L, -2, "SLOT");
  lua_pushinteger(L, MB_RING_PEERS);
  lua_setfield(L, -2, "PEERS");
  lua_pushinteger(L, 2);
  lua_setfield(L, -2, "VERSION");
  return 1;
}
