/*
** host.h - private to the host executable `mapbuf`: what its files share.
*/
#ifndef MAPBUF_HOST_H
#define MAPBUF_HOST_H

#include <stdint.h>

#include "lua.h"
#include "lcompat.h"
#include "mapbuf.h"

#define HOST_NAME "mapbuf"

/* One file named on the command line, and what -s did to it (to undo). */
typedef struct host_file {
  const char *path;
  mb_map *map;           /* Lua owns it once pushed: then use the userdata */
  int output;            /* -o: created or truncated, growable */
  int created;           /* -s or -o created the file */
  int extended;          /* -s extended it from oldsize */
  uint64_t oldsize;
} host_file;

/* The command line, parsed. */
typedef struct host_opts {
  int mode;              /* MB_MODE_READ, MB_MODE_UPDATE or MB_MODE_COPY */
  int has_size;
  uint64_t size;
  int sandbox, progress, interactive, version;
  const char *script;    /* script path, "-" for stdin, NULL: none */
  char *code;            /* the -e chunks joined, or NULL */
  const char **libs;     /* -l names, in order */
  int nlibs;
  host_file *files;      /* the files named, then the -o outputs */
  int nfiles;
  const char **outputs;  /* -o names, in order (parsing only) */
  int noutputs;
  char **args;           /* after "--" */
  int nargs;
  char **argv;           /* the whole command line, for arg's negatives */
  int first;             /* argv index of arg[0] (script) or of the files */
  int status;            /* exit status chosen so far */
} host_opts;

/* size.c */
int host_parsesize(const char *s, uint64_t *out);

/* files.c: map every file (undoing all on failure), flush writable ones. */
int host_mapfiles(const host_opts *o);
void host_flushfiles(lua_State *L, const host_opts *o);
void host_wrapexit(lua_State *L, const host_opts *o);

/* run.c: calls with a traceback, interrupted by SIGINT and SIGTERM;
** requests from signal handlers, served at the chunk's next instruction. */
enum { HOST_PEND_INT = 1, HOST_PEND_TICK = 2 };
typedef void (*host_tickfn)(lua_State *L);
int host_docall(lua_State *L, int narg, int nres);
int host_report(lua_State *L, int status);   /* print the error on top */
void host_request(int what);   /* async-signal-safe */
void host_setstate(lua_State *L);
void host_ontick(host_tickfn fn);   /* who serves HOST_PEND_TICK */

/* sandbox.c */
void host_sandbox(lua_State *L);

/* progress.c */
void host_progress_open(lua_State *L, int enabled);
void host_progress_follow(lua_State *L, int idx);
void host_progress_start(lua_State *L);
void host_progress_finish(lua_State *L);

/* timer.c (posix/ or win32/): call fn every us microseconds, from a
** signal handler or another thread, so fn must be async-signal-safe (as
** host_request is); us == 0 stops it. */
void host_timer(long us, void (*fn)(void));

/* repl.c */
void host_repl(lua_State *L);

#endif
