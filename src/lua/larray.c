/*
** larray.c - typed arrays over a map: m:array(fmt [, i [, j]]) gives a
** zero-copy array of numbers over bytes i..j (Python's memoryview.cast,
** numpy's frombuffer, a JavaScript typed array), with a[k], #a and bulk
** methods (sum, min, max, fill, add, mul, clamp, copy) that run in C over
** every element (the core's kernels, src/core/elements.c).
**
** An array follows the life rules of a view: it holds a counted reference
** to its map's core and keeps the map object alive through its uservalue;
** it is closed with the map, and after a resize that leaves it outside the
** map it raises "array is out of range of its map" on use.  Like every
** function of the binding, each method takes its bytes afresh after its
** arguments were read, and checks the truncation guard after touching
** them.
*/
#include <math.h>
#include <string.h>

#include "lbind.h"

#define LMB_ATAG 0x6d6261727261790ULL   /* "mbarray" */

typedef struct LArray {
  uint64_t tag;              /* LMB_ATAG */
  const struct LArray *self; /* this object's own address */
  mb_map *core;              /* counted reference, or &lmb_deadcore */
  size_t start;              /* offset of element 1 in the core */
  size_t n;                  /* number of elements */
  mb_elem e;
  char fmt[4];               /* its format, for tostring: "<i2" */
} LArray;

/* As lmb_test, for arrays. */
static LArray *totest(lua_State *L, int idx) {
  LArray *a = (LArray *)lua_touserdata(L, idx);
  if (a != NULL && lua_rawlen(L, idx) == sizeof(LArray) && a->tag == LMB_ATAG &&
      a->self == a)
    return a;
  return NULL;
}

static LArray *checkarray(lua_State *L, int idx) {
  LArray *a = totest(L, idx);
  if (a == NULL) lmb_typeerror(L, idx, "mapbuf.array");
  return a;
}

/* The array's bytes now, or raise; writable: it must be writable too. */
static unsigned char *abytes(lua_State *L, const LArray *a, int writable) {
  const mb_map *c = a->core;
  size_t bytes = a->n * (size_t)a->e.size;
  if (c->closed) luaL_error(L, "mapbuf: map is closed");
  if (a->start > c->len || bytes > c->len - a->start)
    luaL_error(L, "mapbuf: array is out of range of its map");
  if (writable && !mb_writable(c)) lmb_misuse(L, MB_E_READONLY);
  return c->base != NULL ? c->base + a->start : (unsigned char *)"";
}

/* After touching elements k .. k+cnt-1 (0-based): the truncation guard. */
static void atouched(lua_State *L, const LArray *a, size_t k, size_t cnt) {
  size_t sz = (size_t)a->e.size;
  if (!mb_intact(a->core, a->start + k * sz, cnt * sz))
    lmb_misuse(L, MB_E_TRUNCATED);
}

/* A core result of the element functions: the messages of string.pack,
** raised as errors about argument arg. */
static void elemresult(lua_State *L, int rc, int arg) {
  if (rc == MB_E_OVERFLOW || rc == MB_E_UOVERFLOW || rc == MB_E_NOTINT)
    lmb_argerror(L, arg, mb_strerror(rc));
  else if (rc != 0)
    lmb_misuse(L, rc);
}

/* A value to store or combine: an integer as an integer, any other number
** as a double (the core checks that it fits the element).  Before 5.3 an
** integer is an integral double inside lua_Integer's range: converted
** through the range-checked lua_tointegerx, never by a bare cast, which
** for 2^63 or 1e300 has no defined result (aarch64 saturates: 2^63 would
** have been stored as 2^63-1). */
static mb_num checknum(lua_State *L, int arg) {
#if LUA_VERSION_NUM < 503
  if (lua_type(L, arg) == LUA_TNUMBER) {
    int isint;
    lua_Integer i = lua_tointegerx(L, arg, &isint);
    /* -0.0 is integral, but only a float keeps its sign */
    if (isint && !(i == 0 && signbit(lua_tonumber(L, arg)))) return mb_numi((int64_t)i);
  }
#else
  if (lua_isinteger(L, arg)) return mb_numi((int64_t)lua_tointeger(L, arg));
#endif
  return mb_numf((double)lmb_checknumber(L, arg));
}

static void pushnum(lua_State *L, mb_num v) {
  if (v.isfloat) lua_pushnumber(L, (lua_Number)v.f);
  else lua_pushinteger(L, (lua_Integer)v.i);
}

/* Element k (1-based, negative from the end) as a 0-based index, or -1. */
static ptrdiff_t slot(lua_Integer k, size_t n) {
  if ((lmb_Unsigned)k - 1 < n) return (ptrdiff_t)(k - 1);
  if (k < 0) {
    lmb_Unsigned back = 0u - (lmb_Unsigned)k;
    return back <= n ? (ptrdiff_t)(n - back) : -1;
  }
  return -1;
}


/* ---------------------------------------------------------------------
** Making an array: m:array(fmt [, i [, j]])
** ------------------------------------------------------------------- */

/* One numeric item of string.pack's language, with an optional byte
** order first: "<i2", ">I4", "B", "<f", "d", "j", "n". */
static int elemformat(lua_State *L, int arg, mb_elem *e, char fmt[4]) {
  size_t len;
  const char *f = lmb_checklstring(L, arg, &len), *p = f;
  int big = -1, kind, size, k = 0;
  if (*p == '<' || *p == '>' || *p == '=') {
    big = *p == '<' ? 0 : *p == '>' ? 1 : -1;
    fmt[k++] = *p++;
  }
  switch (*p) {
    case 'b': kind = MB_ELEM_INT; size = 1; break;
    case 'B': kind = MB_ELEM_UINT; size = 1; break;
    case 'h': kind = MB_ELEM_INT; size = (int)sizeof(short); break;
    case 'H': kind = MB_ELEM_UINT; size = (int)sizeof(short); break;
    case 'i': kind = MB_ELEM_INT; size = (int)sizeof(int); break;
    case 'I': kind = MB_ELEM_UINT; size = (int)sizeof(int); break;
    case 'l': kind = MB_ELEM_INT; size = (int)sizeof(long); break;
    case 'L': kind = MB_ELEM_UINT; size = (int)sizeof(long); break;
    case 'j': kind = MB_ELEM_INT; size = (int)sizeof(lua_Integer); break;
    case 'J': kind = MB_ELEM_UINT; size = (int)sizeof(lua_Integer); break;
    case 'f': kind = MB_ELEM_FLOAT; size = (int)sizeof(float); break;
    case 'd': kind = MB_ELEM_FLOAT; size = (int)sizeof(double); break;
    case 'n': kind = MB_ELEM_FLOAT; size = (int)sizeof(lua_Number); break;
    default: goto bad;
  }
  fmt[k++] = *p++;
  if ((fmt[k - 1] == 'i' || fmt[k - 1] == 'I') && *p >= '1' && *p <= '8') {
    size = *p - '0';
    fmt[k++] = *p++;
  }
  fmt[k] = '\0';
  if ((size_t)(p - f) != len || mb_elem_make(e, kind, size, big) != 0)
    goto bad;
  return size;
bad:
  return lmb_argerror(L, arg, lua_pushfstring(L, "invalid element format '%s'", f));
}

static void pusharraymeta(lua_State *L);

static int m_array(lua_State *L) {
  LMap *m;
  LArray *a;
  size_t len, pi, pe, bytes;
  lua_Integer i, j;
  mb_elem e;
  char fmt[4];
  int size;
  lmb_checkself(L, &m, &len);
  size = elemformat(L, 2, &e, fmt);
  i = lmb_optint(L, 3, 1);
  j = lmb_optint(L, 4, -1);
  lmb_bytes(L, m, &len);
  pi = lmb_posrelat(i, len);
  pe = lmb_endpos(j, len);
  bytes = pi > pe ? 0 : pe - pi + 1;
  if (bytes % (size_t)size != 0)
    return lmb_argerror(L, 3, lua_pushfstring(L,
        "%d bytes are no whole number of %d-byte elements", (int)bytes, size));
  lua_settop(L, 1);
  a = (LArray *)lua_newuserdatauv(L, sizeof(LArray), 1);
  memset(a, 0, sizeof *a);
  a->tag = LMB_ATAG;
  a->self = a;
  a->core = &lmb_deadcore;
  a->start = lmb_base(m) + (pi > pe ? (pi - 1 < len ? pi - 1 : len) : pi - 1);
  a->n = bytes / (size_t)size;
  a->e = e;
  memcpy(a->fmt, fmt, sizeof fmt);
  pusharraymeta(L);
  lua_setmetatable(L, -2);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, 1);   /* the array keeps its map alive */
  /* the core only now, after every allocation (a finalizer run by one of
  ** them may have closed or freed it: then the array starts closed) */
  if (lmb_core(m) != &lmb_deadcore && !m->closed) {
    mb_retain(lmb_core(m));
    a->core = lmb_core(m);
  }
  return 1;
}


/* ---------------------------------------------------------------------
** a[k], a[k] = v, #a
** ------------------------------------------------------------------- */

static int a_index(lua_State *L) {
  LArray *a = checkarray(L, 1);
  lua_Integer k;
  int isint;
  if (lua_type(L, 2) == LUA_TNUMBER) {
    ptrdiff_t s;
    const unsigned char *p;
    k = lua_tointegerx(L, 2, &isint);
    p = abytes(L, a, 0);
    if (!isint || (s = slot(k, a->n)) < 0) {
      lua_pushnil(L);   /* no such element: nil, so ipairs(a) works */
      return 1;
    }
    pushnum(L, mb_elem_get(&a->e, p + (size_t)s * (size_t)a->e.size));
    atouched(L, a, (size_t)s, 1);
    return 1;
  }
  lua_settop(L, 2);
  lua_rawget(L, lua_upvalueindex(1));   /* a method */
  return 1;
}

static int a_newindex(lua_State *L) {
  LArray *a = checkarray(L, 1);
  lua_Integer k;
  int isint;
  mb_num v;
  ptrdiff_t s;
  unsigned char *p;
  if (lua_type(L, 2) != LUA_TNUMBER) return lmb_typeerror(L, 2, "index");
  k = lua_tointegerx(L, 2, &isint);
  if (!isint) return lmb_argerror(L, 2, "number has no integer representation");
  v = checknum(L, 3);
  p = abytes(L, a, 1);
  if ((s = slot(k, a->n)) < 0) return lmb_argerror(L, 2, "out of range");
  p += (size_t)s * (size_t)a->e.size;
  elemresult(L, mb_elem_set(&a->e, p, v), 3);
  atouched(L, a, (size_t)s, 1);
  return 0;
}

static int a_len(lua_State *L) {
  LArray *a = checkarray(L, 1);
  abytes(L, a, 0);
  lua_pushinteger(L, (lua_Integer)a->n);
  return 1;
}

static int a_tostring(lua_State *L) {
  LArray *a = checkarray(L, 1);
  const mb_map *c = a->core;
  if (c->closed) lua_pushliteral(L, "mapbuf.array(closed)");
  else
    lua_pushfstring(L, "mapbuf.array(%s, n=" LMB_I ", offset=" LMB_I ")", a->fmt,
                    LMB_IARG(a->n), LMB_IARG(c->offset + a->start));
  return 1;
}

/* __gc and __close: let go of the core (the map itself stays open). */
static int a_gc(lua_State *L) {
  LArray *a = checkarray(L, 1);
  mb_map *c = a->core;
  a->core = &lmb_deadcore;
  if (c != &lmb_deadcore) mb_release(c);
  return 0;
}


/* ---------------------------------------------------------------------
** Bulk methods
** ------------------------------------------------------------------- */

typedef int (*reducefn)(const mb_elem *, const void *, size_t, mb_num *);

static int reduce(lua_State *L, reducefn f) {
  LArray *a = checkarray(L, 1);
  const unsigned char *p = abytes(L, a, 0);
  mb_num v;
  int got = f(&a->e, p, a->n, &v);
  atouched(L, a, 0, a->n);
  if (got == 0) lua_pushnil(L);   /* min / max of nothing */
  else pushnum(L, v);
  return 1;
}

static int wrapsum(const mb_elem *e, const void *p, size_t n, mb_num *v) {
  mb_arr_sum(e, p, n, v);
  return 1;   /* the sum of nothing is 0, not nil */
}

static int a_sum(lua_State *L) { return reduce(L, wrapsum); }
static int a_min(lua_State *L) { return reduce(L, mb_arr_min); }
static int a_max(lua_State *L) { return reduce(L, mb_arr_max); }

static int a_fill(lua_State *L) {
  LArray *a = checkarray(L, 1);
  mb_num v = checknum(L, 2);
  unsigned char *p = abytes(L, a, 1);
  elemresult(L, mb_arr_fill(&a->e, p, a->n, v), 1 + 1);
  atouched(L, a, 0, a->n);
  lua_settop(L, 1);
  return 1;
}

/* The other array of an element-wise method: as many elements as a; its
** bytes taken after a's (neither call allocates). */
static LArray *other(lua_State *L, int arg, const LArray *a) {
  LArray *b = totest(L, arg);
  if (b == NULL) lmb_typeerror(L, arg, "number or mapbuf.array");
  if (b->n != a->n)
    lmb_argerror(L, arg, lua_pushfstring(L, "arrays differ in length (" LMB_I ", "
                                         LMB_I ")", LMB_IARG(a->n), LMB_IARG(b->n)));
  return b;
}

typedef int (*scalarfn)(const mb_elem *, void *, size_t, mb_num);
typedef int (*vectorfn)(const mb_elem *, void *, const mb_elem *,
                        const void *, size_t);

static int arith(lua_State *L, scalarfn sf, vectorfn vf) {
  LArray *a = checkarray(L, 1);
  unsigned char *p;
  int rc;
  if (lua_type(L, 2) == LUA_TNUMBER || lua_type(L, 2) == LUA_TSTRING) {
    mb_num x = checknum(L, 2);
    p = abytes(L, a, 1);
    rc = sf(&a->e, p, a->n, x);
  } else {
    LArray *b = other(L, 2, a);
    const unsigned char *q;
    p = abytes(L, a, 1);
    q = abytes(L, b, 0);
    rc = vf(&a->e, p, &b->e, q, a->n);
    atouched(L, b, 0, b->n);
  }
  elemresult(L, rc, 1);
  atouched(L, a, 0, a->n);
  lua_settop(L, 1);
  return 1;
}

static int a_add(lua_State *L) { return arith(L, mb_arr_add, mb_arr_addv); }
static int a_mul(lua_State *L) { return arith(L, mb_arr_mul, mb_arr_mulv); }

static int a_clamp(lua_State *L) {
  LArray *a = checkarray(L, 1);
  mb_num lo = checknum(L, 2), hi = checknum(L, 3);
  unsigned char *p = abytes(L, a, 1);
  elemresult(L, mb_arr_clamp(&a->e, p, a->n, lo, hi), 1);
  atouched(L, a, 0, a->n);
  lua_settop(L, 1);
  return 1;
}

static int a_copy(lua_State *L) {
  LArray *a = checkarray(L, 1), *b = other(L, 2, a);
  unsigned char *p = abytes(L, a, 1);
  const unsigned char *q = abytes(L, b, 0);
  elemresult(L, mb_arr_copy(&a->e, p, &b->e, q, a->n), 1);
  atouched(L, b, 0, b->n);
  atouched(L, a, 0, a->n);
  lua_settop(L, 1);
  return 1;
}


/* ---------------------------------------------------------------------
** The metatable, and what other files need of arrays
** ------------------------------------------------------------------- */

static const luaL_Reg array_methods[] = {
  {"sum", a_sum}, {"min", a_min}, {"max", a_max}, {"fill", a_fill},
  {"add", a_add}, {"mul", a_mul}, {"clamp", a_clamp}, {"copy", a_copy},
  {NULL, NULL}
};

static const luaL_Reg array_meta[] = {
  LMB_IPAIRS_META
  {"__newindex", a_newindex}, {"__len", a_len}, {"__tostring", a_tostring},
  {"__gc", a_gc}, {"__close", a_gc}, {NULL, NULL}
};

/* Build the arrays' metatable into the table at -1 (module.c calls this
** while it builds the maps' one, and registers both at once); names is
** the index of the table of function names. */
void lmb_buildarraymeta(lua_State *L, int names) {
  int mt = lua_gettop(L), k;
  const luaL_Reg *lists[] = {array_methods, array_meta};
  lua_createtable(L, 0, 8);   /* methods */
  for (k = 0; k < 2; k++) {
    const luaL_Reg *l;
    for (l = lists[k]; l->name != NULL; l++) {
      lua_pushcfunction(L, l->func);
      lua_pushvalue(L, -1);
      lua_setfield(L, k == 0 ? mt + 1 : mt, l->name);
      lua_pushstring(L, l->name);
      lua_rawset(L, names);
      lmb_namefunc(L, names, l->func, l->name);
    }
  }
  lua_pushcclosure(L, a_index, 1);   /* upvalue: the methods */
  lua_pushvalue(L, -1);
  lua_setfield(L, mt, "__index");
  lua_pushliteral(L, "__index");
  lua_rawset(L, names);
  lua_pushliteral(L, "mapbuf.array");
  lua_setfield(L, mt, "__name");
  lua_pushliteral(L, "mapbuf.array");   /* getmetatable(a): a name, no __gc */
  lua_setfield(L, mt, "__metatable");
}

static void pusharraymeta(lua_State *L) {
  lmb_pushmeta(L);
  lua_rawgetp(L, -1, &lmb_arraykey);
  lua_remove(L, -2);
}

/* The bytes of an array argument for m:set: its pointer now and length,
** or NULL if arg holds no array. */
const unsigned char *lmb_arraybytes(lua_State *L, int arg, size_t *len,
                                    mb_map **core, size_t *start) {
  LArray *a = totest(L, arg);
  if (a == NULL) return NULL;
  *len = a->n * (size_t)a->e.size;
  *core = a->core;
  *start = a->start;
  return abytes(L, a, 0);
}

const luaL_Reg lmb_array_methods[] = {
  {"array", m_array},
  {NULL, NULL}
};
