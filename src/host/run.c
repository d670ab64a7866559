/*
** run.c - calling Lua code the way lua.c does: a message handler that adds
** a traceback, SIGINT turned into an error (so that maps are still
** flushed), and requests from signal handlers delivered through a hook.
*/
#include <signal.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "lua.h"
#include "lauxlib.h"

#include "host.h"

static lua_State *globalL;
static volatile sig_atomic_t pending;

/* A hook the chunk set itself (debug.sethook), put back after ours ran. */
static lua_Hook savedhook;
static int savedmask, savedcount;

void host_setstate(lua_State *L) { globalL = L; }

/* Runs at the next instruction after a request: do what was asked. */
static void dohook(lua_State *L, lua_Debug *ar) {
  int p = pending;
  (void)ar;
  pending = 0;
  lua_sethook(L, savedhook, savedmask, savedcount);
  if (p & HOST_PEND_TICK) host_progress_tick(L);
  if (p & HOST_PEND_INT) luaL_error(L, "interrupted!");
}

/* Called from signal handlers: lua_sethook is safe there (lua.c does it). */
void host_request(int what) {
  lua_State *L = globalL;
  pending |= what;
  if (L == NULL) return;
  if (lua_gethook(L) != dohook) {
    savedhook = lua_gethook(L);
    savedmask = lua_gethookmask(L);
    savedcount = lua_gethookcount(L);
  }
  lua_sethook(L, dohook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

/* SIGINT and SIGTERM: "interrupted!" at the next instruction (or inside
** a blocking mapbuf call, which polls for the hook: src/lua/lipc.h), so
** the chunk unwinds (__close runs) and writable maps are flushed. */
static void onint(int sig) {
  signal(sig, SIG_DFL);  /* a second one kills at once */
  host_request(HOST_PEND_INT);
}

/* Turn the error object into a message with a traceback. */
static int msghandler(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
      return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)",
                          luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* Call the function below narg arguments, with traceback and Ctrl-C. */
int host_docall(lua_State *L, int narg, int nres) {
  int status, base = lua_gettop(L) - narg;
  lua_pushcfunction(L, msghandler);
  lua_insert(L, base);
  signal(SIGINT, onint);
  signal(SIGTERM, onint);
  status = lua_pcall(L, narg, nres, base);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  lua_remove(L, base);
  return status;
}

/* Does msg, after a "chunk:line: " position if it has one, already start
** with the module's "mapbuf: "?  Then the host's own prefix would only
** repeat it. */
static int named(const char *msg) {
  const char *p = strstr(msg, ": ");
  size_t n = strlen(HOST_NAME ": ");
  if (strncmp(msg, HOST_NAME ": ", n) == 0) return 1;
  if (p == NULL || p == msg) return 0;
  /* a position: anything, a colon, digits, ": " */
  while (p > msg && isdigit((unsigned char)p[-1])) p--;
  if (p == msg || p[-1] != ':') return 0;
  p = strstr(p, ": ") + 2;
  return strncmp(p, HOST_NAME ": ", n) == 0;
}

/* Print the error on top (if status is not OK) as "mapbuf: msg", or as it
** is when it names mapbuf already. */
int host_report(lua_State *L, int status) {
  if (status != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    if (msg == NULL) msg = "(error object is not a string)";
    if (named(msg)) fprintf(stderr, "%s\n", msg);
    else fprintf(stderr, HOST_NAME ": %s\n", msg);
    fflush(stderr);
    lua_pop(L, 1);
  }
  return status;
}
