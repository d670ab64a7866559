/*
** main.c - the host executable `mapbuf`: parse the command line, map the
** files, run the chunk with the maps as its arguments.
*/
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

#include "mapbuf_lua.h"
#include "host.h"

static const char usage_line[] =
  "usage: " HOST_NAME " [options] script.lua [file ...] [-- arg ...]";

static const char help_text[] =
  "       " HOST_NAME " [options] -e CODE [file ...] [-- arg ...]\n"
  "       " HOST_NAME " -i [options] [file ...]\n"
  "Map each file and run the Lua chunk with the maps as its arguments.\n"
  "  -r              map read-only (default)\n"
  "  -w              map read-write, shared: changes reach the files\n"
  "  -c              map copy-on-write: changes never reach the files\n"
  "  -s SIZE         create or extend each file to SIZE bytes (4K, 1M, 2G);\n"
  "                  implies -w unless -c is given\n"
  "  -o FILE         an output: created or truncated, read-write, growing as\n"
  "                  it is written; after the other files (repeatable)\n"
  "  -e CODE         run CODE; globals m (first map) and maps (all)\n"
  "  -l NAME         NAME = require 'NAME' (-l g=NAME: g = require 'NAME')\n"
  "  -i              prompt after the chunk; without a chunk, at once with\n"
  "                  every name a file to map\n"
  "  -P, --progress  progress bar on stderr when it is a terminal\n"
  "      --sandbox   no io, os, require, package, debug, dofile, loadfile,\n"
  "                  binary chunks\n"
  "  -h, --help      show this help and exit\n"
  "  -v, --version   show the version (and exit if there is nothing to run)\n"
  "A script '-' is read from standard input. arg[0] is the script or -e,\n"
  "arg[1..] the words after --, arg.files the mapped names. Exit status: 0,\n"
  "the integer the chunk returns, 1 on error, 2 on a usage error.\n";

static const struct option longopts[] = {
  {"read", no_argument, NULL, 'r'},
  {"write", no_argument, NULL, 'w'},
  {"copy", no_argument, NULL, 'c'},
  {"size", required_argument, NULL, 's'},
  {"output", required_argument, NULL, 'o'},
  {"execute", required_argument, NULL, 'e'},
  {"library", required_argument, NULL, 'l'},
  {"interactive", no_argument, NULL, 'i'},
  {"progress", no_argument, NULL, 'P'},
  {"sandbox", no_argument, NULL, 'S'},
  {"help", no_argument, NULL, 'h'},
  {"version", no_argument, NULL, 'v'},
  {NULL, 0, NULL, 0}
};

/* A usage error: the problem, then the one-line hint; status 2. */
static int usage(const char *fmt, const char *what) {
  fprintf(stderr, HOST_NAME ": ");
  fprintf(stderr, fmt, what);
  fprintf(stderr, "\n%s (try '" HOST_NAME " -h')\n", usage_line);
  return 2;
}

/* The Lua it runs: LuaJIT's lua.h says "Lua 5.1.4", its luajit.h which
** LuaJIT it is. */
#if LMB_LUAJIT
#include "luajit.h"
#define HOST_LUA LUAJIT_VERSION
#else
#define HOST_LUA LUA_RELEASE
#endif

static void version(void) {
  printf(HOST_NAME " " MAPBUF_VERSION " (" HOST_LUA ")\n");
}

/* -e chunks run as one, joined by newlines (so locals carry over). */
static int addcode(host_opts *o, const char *code) {
  size_t old = o->code ? strlen(o->code) : 0, n = strlen(code);
  char *p = realloc(o->code, old + n + 2);
  if (p == NULL) return -1;
  if (old) p[old++] = '\n';
  memcpy(p + old, code, n + 1);
  o->code = p;
  return 0;
}

/*
** Options stop at the first name ('+'), as lua's do: what follows is the
** script (unless -e or a bare -i), then files up to "--", then arguments.
** Returns -1 to go on, or an exit status.
*/
static int parseargs(host_opts *o, int argc, char **argv) {
  int c, explicit_read = 0, gotcopy = 0, gotwrite = 0;
  const char *lastarg = NULL;
  o->mode = MB_MODE_READ;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "+rwcs:o:e:l:iPhv", longopts, NULL))
         != -1) {
    lastarg = optarg;
    switch (c) {
      case 'r': explicit_read = 1; gotwrite = gotcopy = 0; break;
      case 'w': gotwrite = 1; gotcopy = explicit_read = 0; break;
      case 'c': gotcopy = 1; gotwrite = explicit_read = 0; break;
      case 's':
        if (host_parsesize(optarg, &o->size) != 0)
          return usage("bad size '%s' (a number, with K, M, G or T)", optarg);
        o->has_size = 1;
        break;
      case 'o':
        o->outputs[o->noutputs++] = optarg;
        break;
      case 'e':
        if (addcode(o, optarg) != 0) {
          fprintf(stderr, HOST_NAME ": not enough memory\n");
          return 1;
        }
        break;
      case 'l':
        o->libs[o->nlibs++] = optarg;
        break;
      case 'i': o->interactive = 1; break;
      case 'P': o->progress = 1; break;
      case 'S': o->sandbox = 1; break;
      case 'h':
        printf("%s\n%s", usage_line, help_text);
        return 0;
      case 'v': o->version = 1; break;
      case ':': case '?': default: {
        char opt[3] = {'-', (char)optopt, 0};
        const char *last = argv[optind - 1];  /* long options: as typed */
        const char *name = strncmp(last, "--", 2) == 0 ? last : opt;
        if (optopt && strchr("soel", optopt))
          return usage("option '%s' needs an argument", name);
        if (optopt && name == last)  /* a known long option given "=x" */
          return usage("option '%s' takes no argument", name);
        return usage("unknown option '%s'", name);
      }
    }
  }
  if (gotcopy) o->mode = MB_MODE_COPY;
  else if (gotwrite || o->has_size) o->mode = MB_MODE_UPDATE;
  if (o->has_size && explicit_read)
    return usage("%s", "-s needs -w or -c, not -r");
  /* A "--" that getopt ate (not an option's argument) ends the files. */
  int ate = optind > 1 && strcmp(argv[optind - 1], "--") == 0 &&
            argv[optind - 1] != lastarg;
  int i = optind;
  o->first = i;
  if (o->code == NULL && !o->interactive) {
    if (i >= argc) {
      if (o->version) { version(); return 0; }
      return usage("%s", "no script given (or -e CODE, or -i)");
    }
    o->script = argv[i++];
    ate = 0;
  }
  if (!ate) {
    /* among the files, "-o NAME" is an output too, so that the command
    ** reads in order: script, input, -o output (a file named -o: ./-o) */
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
      if (strcmp(argv[i], "-o") == 0) {
        if (i + 1 >= argc) return usage("option '%s' needs an argument", "-o");
        o->outputs[o->noutputs++] = argv[++i];
      } else {
        o->files[o->nfiles++].path = argv[i];
      }
    }
    if (i < argc) i++;  /* skip "--" */
  }
  o->args = argv + i;
  o->nargs = argc - i;
  for (i = 0; i < o->noutputs; i++) {   /* the outputs come last */
    o->files[o->nfiles].path = o->outputs[i];
    o->files[o->nfiles++].output = 1;
  }
  if (o->version) version();
  return -1;
}

/* arg as lua makes it: arg[0] the script or "-e", negatives before it. */
static void makearg(lua_State *L, const host_opts *o) {
  int i;
  lua_createtable(L, o->nargs, o->first + 1);
  for (i = 0; i < o->first; i++) {
    lua_pushstring(L, o->argv[i]);
    lua_rawseti(L, -2, i - o->first);
  }
  lua_pushstring(L, o->script ? o->script : o->code ? "-e" : "-i");
  lua_rawseti(L, -2, 0);
  for (i = 0; i < o->nargs; i++) {
    lua_pushstring(L, o->args[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_createtable(L, o->nfiles, 0);
  for (i = 0; i < o->nfiles; i++) {
    lua_pushstring(L, o->files[i].path);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "files");
  lua_setglobal(L, "arg");
}

/* -l NAME or -l g=NAME: the global g (or NAME) = require(NAME). */
static int dolib(lua_State *L, const char *spec) {
  const char *eq = strchr(spec, '=');
  int status;
  lua_getglobal(L, "require");
  lua_pushstring(L, eq ? eq + 1 : spec);
  status = host_docall(L, 1, 1);
  if (status != LUA_OK) return host_report(L, status);
  if (eq) {  /* the name, as a Lua string, lives below the value */
    lua_pushlstring(L, spec, (size_t)(eq - spec));
    lua_insert(L, -2);
    lua_setglobal(L, lua_tostring(L, -2));
    lua_pop(L, 1);
  } else {
    lua_setglobal(L, spec);
  }
  return LUA_OK;
}

static int loadchunk(lua_State *L, const host_opts *o) {
  const char *mode = o->sandbox ? "t" : "bt";
  if (o->code)
    return luaL_loadbufferx(L, o->code, strlen(o->code), "=(command line)",
                            mode);
  if (strcmp(o->script, "-") == 0)
    return luaL_loadfilex(L, NULL, mode);
  return luaL_loadfilex(L, o->script, mode);
}

/* The exit status a chunk's first result asks for: a number (integral:
** the system keeps its low 8 bits), or a boolean; anything else, a
** numeral string included, is no status. */
static int resultstatus(lua_State *L, int idx) {
  int isint;
  lua_Integer n;
  if (lua_isboolean(L, idx)) return lua_toboolean(L, idx) ? 0 : 1;
  if (lua_type(L, idx) != LUA_TNUMBER) return 0;
  n = lua_tointegerx(L, idx, &isint);
  return isint ? (int)(n & 0xff) : 0;
}

/* Push every map: into a registry table (so that they live until the end),
** as the chunk's arguments, and with -e/-i as globals m and maps. */
static void pushmaps(lua_State *L, const host_opts *o, int globals) {
  int i;
  luaL_checkstack(L, 4, "too many files");
  lua_createtable(L, o->nfiles, 0);
  for (i = 0; i < o->nfiles; i++) {
    mapbuf_pushmap(L, o->files[i].map);
    lua_rawseti(L, -2, i + 1);
  }
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, HOST_NAME ".maps");
  if (globals) {
    lua_rawgeti(L, -1, 1);
    lua_setglobal(L, "m");
    lua_pushvalue(L, -1);
    lua_setglobal(L, "maps");
  }
}

static int pmain(lua_State *L) {
  host_opts *o = (host_opts *)lua_touserdata(L, 1);
  int i, chunk = o->script != NULL || o->code != NULL, status, base;
  luaL_checkversion(L);
  luaL_openlibs(L);
  lua_getglobal(L, "package");   /* package.preload, in every Lua */
  lua_getfield(L, -1, "preload");
  lua_remove(L, -2);
  /* a sandboxed chunk gets the module without anything that opens files,
  ** descriptors or shared memory, even through -l: its maps are all */
  lua_pushcfunction(L, o->sandbox ? luaopen_mapbuf_maps : luaopen_mapbuf);
  lua_setfield(L, -2, "mapbuf");
  if (!o->sandbox) {   /* the ring too, wherever the script is run from */
    lua_pushcfunction(L, luaopen_mapbuf_ring);
    lua_setfield(L, -2, "mapbuf.ring");
  }
  lua_pop(L, 1);
  makearg(L, o);
  host_wrapexit(L, o);
  host_progress_open(L, o->progress);
  o->status = 1;
  for (i = 0; i < o->nlibs; i++) {
    if (dolib(L, o->libs[i]) != LUA_OK) return 0;
  }
  if (o->sandbox) host_sandbox(L);
  if (chunk && (status = loadchunk(L, o)) != LUA_OK) {
    host_report(L, status);
    return 0;
  }
  if (host_mapfiles(o) != 0) return 0;
  base = lua_gettop(L);
  pushmaps(L, o, o->code != NULL || o->interactive);
  if (o->nfiles > 0) {
    lua_rawgeti(L, -1, 1);
    host_progress_follow(L, -1);
    lua_pop(L, 1);
  }
  o->status = 0;
  if (chunk) {
    lua_pushvalue(L, base);  /* the chunk */
    /* every map is an argument: room for them all, however many */
    luaL_checkstack(L, o->nfiles + LUA_MINSTACK, "too many files");
    for (i = 1; i <= o->nfiles; i++) lua_rawgeti(L, base + 1, i);
    host_progress_start(L);
    status = host_docall(L, o->nfiles, 1);
    host_progress_finish(L);
    if (status != LUA_OK) {
      host_report(L, status);
      o->status = 1;
      return 0;
    }
    o->status = resultstatus(L, -1);
    lua_pop(L, 1);
  }
  if (o->interactive) {
    host_repl(L);
    o->status = 0;
  }
  return 0;
}

int main(int argc, char **argv) {
  host_opts o;
  lua_State *L;
  int r;
  memset(&o, 0, sizeof o);
  o.argv = argv;
  o.libs = calloc((size_t)argc + 1, sizeof *o.libs);
  o.files = calloc((size_t)argc + 1, sizeof *o.files);
  o.outputs = calloc((size_t)argc + 1, sizeof *o.outputs);
  if (o.libs == NULL || o.files == NULL || o.outputs == NULL) {
    fprintf(stderr, HOST_NAME ": not enough memory\n");
    o.status = 1;
    goto done;
  }
  if ((r = parseargs(&o, argc, argv)) >= 0) {
    o.status = r;
    goto done;
  }
  L = luaL_newstate();
  if (L == NULL) {
    fprintf(stderr, HOST_NAME ": cannot create state: not enough memory\n");
    o.status = 1;
    goto done;
  }
  host_setstate(L);
  lua_pushcfunction(L, pmain);
  lua_pushlightuserdata(L, &o);
  if (lua_pcall(L, 1, 0, 0) != LUA_OK) {  /* only a memory error gets here */
    host_report(L, LUA_ERRMEM);
    o.status = 1;
  }
  host_flushfiles(L, &o);
  lua_close(L);
done:
  free(o.code);
  free(o.libs);
  free(o.files);
  free(o.outputs);
  return o.status;
}
