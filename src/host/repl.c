/*
** repl.c - -i: read lines from standard input, run them, print what they
** return, as a Lua prompt does.  Prompts are shown only when standard input
** is a terminal, so that piped sessions print just their results.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lua.h"
#include "lauxlib.h"

#include "host.h"

#define PROMPT1 "> "
#define PROMPT2 ">> "

/* The next line without its newline, pushed; 0 at end of input.  Read
** a byte at a time into a Lua buffer: any length, zeros kept, and no
** getline, which Windows lacks (stdio buffers, so this costs no system
** call per byte). */
static int pushline(lua_State *L, const char *prompt) {
  luaL_Buffer b;
  int c, any = 0;
  if (isatty(STDIN_FILENO)) {
    fputs(prompt, stdout);
    fflush(stdout);
  }
  luaL_buffinit(L, &b);
  while ((c = getc(stdin)) != EOF) {
    any = 1;
    if (c == '\n') break;
    luaL_addchar(&b, (char)c);
  }
  luaL_pushresult(&b);
  if (!any) {
    lua_pop(L, 1);
    return 0;
  }
  return 1;
}

/* Is the syntax error on top about the end of the input, so that more
** lines could complete the chunk?  Lua names the token where it stopped
** last in its message, and the end of the input is the token "<eof>"
** (quoted, "'<eof>'", by Lua 5.1 and LuaJIT). */
static int wantsmore(lua_State *L, int status) {
#if LUA_VERSION_NUM == 501
  static const char eof[] = "'<eof>'";
#else
  static const char eof[] = "<eof>";
#endif
  size_t n, k = sizeof eof - 1;
  const char *msg;
  if (status != LUA_ERRSYNTAX) return 0;
  msg = lua_tolstring(L, -1, &n);
  return msg != NULL && n >= k && memcmp(msg + n - k, eof, k) == 0;
}

static int load(lua_State *L, const char *s, size_t n) {
  return luaL_loadbufferx(L, s, n, "=stdin", "t");
}

/* Line on top: compile "return line" (an expression) if it can, or else
** the line as statements, reading more while they are incomplete.  Leaves
** the function or the error message in place of the line. */
static int compile(lua_State *L) {
  size_t n;
  const char *line = lua_tolstring(L, -1, &n);
  const char *ret = lua_pushfstring(L, "return %s", line);
  int status = load(L, ret, strlen(ret));
  if (status == LUA_OK) {
    lua_remove(L, -2);  /* the "return" string */
    lua_remove(L, -2);  /* the line */
    return LUA_OK;
  }
  lua_pop(L, 2);
  for (;;) {
    line = lua_tolstring(L, -1, &n);
    status = load(L, line, n);
    if (!wantsmore(L, status)) break;
    lua_pop(L, 1);
    if (!pushline(L, PROMPT2)) {
      /* end of input inside a statement: report what was there */
      status = load(L, lua_tostring(L, -1), lua_rawlen(L, -1));
      break;
    }
    lua_pushliteral(L, "\n");
    lua_insert(L, -2);
    lua_concat(L, 3);
  }
  lua_remove(L, -2);
  return status;
}

/* Print every value on the stack, tab-separated, as print does. */
static int printall(lua_State *L) {
  int i, n = lua_gettop(L);
  for (i = 1; i <= n; i++) {
    size_t len;
    const char *s = luaL_tolstring(L, i, &len);
    if (i > 1) fputc('\t', stdout);
    fwrite(s, 1, len, stdout);
    lua_pop(L, 1);
  }
  fputc('\n', stdout);
  fflush(stdout);
  return 0;
}

void host_repl(lua_State *L) {
  int base = lua_gettop(L);
  while (pushline(L, PROMPT1)) {
    int status = compile(L);
    if (status == LUA_OK) status = host_docall(L, 0, LUA_MULTRET);
    if (status == LUA_OK && lua_gettop(L) > base) {
      lua_pushcfunction(L, printall);
      lua_insert(L, base + 1);
      status = lua_pcall(L, lua_gettop(L) - base - 1, 0, 0);
    }
    if (status != LUA_OK) host_report(L, status);
    lua_settop(L, base);
  }
  if (isatty(STDIN_FILENO)) fputc('\n', stdout);
  fflush(stdout);
}
