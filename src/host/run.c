/*
** run.c - running Lua code for the host: every call protected, errors
** given their traceback, and signals (SIGINT, SIGTERM, the progress
** timer) turned into requests that the running chunk meets at its next
** instruction, through a hook.
*/
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "lua.h"
#include "lauxlib.h"

#include "host.h"

static lua_State *target;                 /* the state requests reach */
static volatile sig_atomic_t requests;    /* HOST_PEND_* not yet served */
static host_tickfn ticker;                /* who serves a tick (progress.c) */

/* The hook the chunk had set itself (debug.sethook): it gets it back as
** soon as ours has served the requests. */
static struct { lua_Hook fn; int mask, count; } own;

void host_setstate(lua_State *L) { target = L; }
void host_ontick(host_tickfn fn) { ticker = fn; }

/* Our hook: runs at the chunk's next call, return or instruction after
** a request.  An interruption raises there, in the chunk's own frame, so
** it unwinds like any error (to-be-closed variables close, maps flush). */
static void serve(lua_State *L, lua_Debug *ar) {
  int what = requests;
  (void)ar;
  requests = 0;
  lua_sethook(L, own.fn, own.mask, own.count);
  if ((what & HOST_PEND_TICK) && ticker != NULL) ticker(L);
  if (what & HOST_PEND_INT) luaL_error(L, "interrupted!");
}

/* From a signal handler: setting a hook is one of the few things that may
** be done to a running state there (it writes a few fields, and the VM
** reads them at its next instruction). */
void host_request(int what) {
  lua_State *L = target;
  requests |= what;
  if (L == NULL) return;
  if (lua_gethook(L) != serve) {
    own.fn = lua_gethook(L);
    own.mask = lua_gethookmask(L);
    own.count = lua_gethookcount(L);
  }
  lua_sethook(L, serve, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

/* SIGINT and SIGTERM: "interrupted!" at the chunk's next instruction, or
** inside a blocking mapbuf call, which polls for our hook (src/lua/lipc.h),
** so the chunk unwinds (__close runs) and writable maps are flushed.  The
** same signal again while it unwinds ends the process the default way. */
static void onstop(int sig) {
  signal(sig, SIG_DFL);
  host_request(HOST_PEND_INT);
}

/* The message handler of every call: the error as text, with the stack
** that led to it.  An error object with a __tostring of its own speaks
** for itself (no traceback); other values that are not text say what
** they are. */
static int withtrace(lua_State *L) {
  const char *text = NULL;
  int t = lua_type(L, 1);
  if (t == LUA_TSTRING || t == LUA_TNUMBER)
    text = lua_tostring(L, 1);
  else if (luaL_callmeta(L, 1, "__tostring")) {
    if (lua_type(L, -1) == LUA_TSTRING) return 1;
    lua_pop(L, 1);
  }
  if (text == NULL)
    text = lua_pushfstring(L, "(error object is a %s value)",
                           luaL_typename(L, 1));
  luaL_traceback(L, L, text, 1);
  return 1;
}

int host_docall(lua_State *L, int narg, int nres) {
  int handler = lua_gettop(L) - narg, status;
  lua_pushcfunction(L, withtrace);
  lua_insert(L, handler);          /* below the function and its arguments */
  signal(SIGINT, onstop);
  signal(SIGTERM, onstop);
  status = lua_pcall(L, narg, nres, handler);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  lua_remove(L, handler);
  return status;
}

/* Does msg already say who it is from: "mapbuf: ...", perhaps after a
** "chunk:line: " position?  Then the host's own prefix would repeat it. */
static int named(const char *msg) {
  static const char me[] = HOST_NAME ": ";
  const char *p;
  if (strncmp(msg, me, sizeof me - 1) == 0) return 1;
  /* a position ends with ":<digits>: " */
  for (p = strstr(msg, ": "); p != NULL; p = strstr(p + 1, ": ")) {
    const char *d = p;
    while (d > msg && isdigit((unsigned char)d[-1])) d--;
    if (d < p && d > msg && d[-1] == ':')
      return strncmp(p + 2, me, sizeof me - 1) == 0;
  }
  return 0;
}

int host_report(lua_State *L, int status) {
  if (status != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    if (msg == NULL) msg = "(error object is not a string)";
    fprintf(stderr, named(msg) ? "%s\n" : HOST_NAME ": %s\n", msg);
    fflush(stderr);
    lua_pop(L, 1);
  }
  return status;
}
