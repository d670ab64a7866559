/*
** files.c - the files named on the command line: map them all or none,
** flush the writable ones before the process ends.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include "osdefs.h"  /* MS_SYNC: the platform's, or mapbuf's own on Windows */
#include <sys/stat.h>
#include <unistd.h>

#include "lua.h"
#include "lauxlib.h"

#include "mapbuf_lua.h"
#include "host.h"

/* Windows has no exec to close descriptors at: what leaks there is
** inheritance by the processes a script starts (io.popen, os.execute),
** which _O_NOINHERIT stops. */
#if !defined(O_CLOEXEC) && defined(_O_NOINHERIT)
#define O_CLOEXEC _O_NOINHERIT
#endif

/* -s: create the file or extend it to the size, remembering how to undo. */
static int prepare(host_file *f, uint64_t size) {
  struct stat st;
  int fd;
  /* O_EXCL tells whether the file is ours to remove on failure; another
  ** process may create it between the two opens (two peers started with
  ** -s on one file), and then it is simply there to open */
  for (;;) {
    errno = 0;
    fd = open(f->path, O_RDWR | O_CLOEXEC);
    if (fd >= 0 || errno != ENOENT) break;
    fd = open(f->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) { f->created = 1; break; }
    if (errno != EEXIST) break;
  }
  if (fd < 0) return errno;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    int rc = errno ? errno : EINVAL;
    close(fd);
    return rc;
  }
  if ((uint64_t)st.st_size < size) {
    if (ftruncate(fd, (off_t)size) != 0) {
      int rc = errno;
      close(fd);
      return rc;
    }
    f->extended = 1;
    f->oldsize = (uint64_t)st.st_size;
  }
  close(fd);
  return 0;
}

/* -o: make sure the output can be opened for writing, creating it if it
** is not there (and remembering that), before any file is truncated. */
static int prepareout(host_file *f) {
  int fd = open(f->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd >= 0) f->created = 1;
  else if (errno == EEXIST) fd = open(f->path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

/* Put back what prepare did (nothing had been written into the bytes). */
static void undo(host_file *f) {
  if (f->map) { mb_free(f->map); f->map = NULL; }
  if (f->created) unlink(f->path);
  else if (f->extended && truncate(f->path, (off_t)f->oldsize) != 0)
    fprintf(stderr, HOST_NAME ": cannot restore the size of '%s': %s\n",
            f->path, strerror(errno));
  f->created = f->extended = 0;
}

/* Pipes, sockets and character devices would map as empty (or block in
** open, for a FIFO): only regular files and block devices are maps. */
static int mappable(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) return errno == ENOENT ? 0 : errno;
  return S_ISREG(st.st_mode) || S_ISBLK(st.st_mode) ? 0 : EINVAL;
}

/* Map every file; on the first failure undo them all, say which file and
** why, and return 1.  Nothing is pushed to Lua here. */
int host_mapfiles(const host_opts *o) {
  int i, rc = 0;
  mb_openopts grow = {.grow = 1};
  /* every output must open before any file is touched */
  for (i = 0; i < o->nfiles && rc == 0; i++)
    if (o->files[i].output) rc = prepareout(&o->files[i]);
  if (rc != 0) {
    i--;
    fprintf(stderr, HOST_NAME ": cannot open '%s' for writing: %s\n",
            o->files[i].path, strerror(rc));
    for (; i >= 0; i--) undo(&o->files[i]);
    return 1;
  }
  for (i = 0; i < o->nfiles; i++) {
    host_file *f = &o->files[i];
    if (f->output) {   /* created or truncated, growing as it is written */
      rc = mb_open(&f->map, f->path, MB_MODE_CREATE, &grow);
    } else {
      if ((rc = mappable(f->path)) != 0) break;
      if (o->has_size && (rc = prepare(f, o->size)) != 0) break;
      rc = mb_open(&f->map, f->path, o->mode, NULL);
    }
    if (rc != 0) {
      f->map = NULL;
      break;
    }
  }
  if (rc == 0) return 0;
  fprintf(stderr, HOST_NAME ": cannot map '%s': %s\n", o->files[i].path,
          rc == EINVAL ? "not a regular file"
          : rc == ENODEV ? "the file cannot be mapped" : mb_strerror(rc));
  for (; i >= 0; i--) undo(&o->files[i]);
  return 1;
}

/*
** Flush every writable map the chunk has left open.  The maps are found
** through their objects (kept in the registry by main.c), never through
** the core pointers the host made: a chunk may have finalized a map by
** hand.  Copy maps never reach the file (mb_flush does nothing for them).
*/
void host_flushfiles(lua_State *L, const host_opts *o) {
  int i;
  if (lua_getfield(L, LUA_REGISTRYINDEX, HOST_NAME ".maps") != LUA_TTABLE) {
    lua_pop(L, 1);
    return;
  }
  for (i = 0; i < o->nfiles; i++) {
    mb_map *core;
    int rc;
    lua_rawgeti(L, -1, i + 1);
    core = mapbuf_tocore(L, -1);   /* no call into Lua until it is used */
    rc = (core != NULL && mb_writable(core)) ? mb_flush(core, 0, core->len, MS_SYNC)
                                             : 0;
    lua_pop(L, 1);
    if (rc != 0 && rc != MB_E_CLOSED)
      fprintf(stderr, HOST_NAME ": cannot flush '%s': %s\n",
              o->files[i].path, mb_strerror(rc));
  }
  lua_pop(L, 1);
}

/* os.exit flushes first: the state (and the maps) may never be closed. */
static int hostexit(lua_State *L) {
  const host_opts *o = (const host_opts *)lua_touserdata(L,
                                                         lua_upvalueindex(2));
  host_progress_finish(L);
  host_flushfiles(L, o);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

void host_wrapexit(lua_State *L, const host_opts *o) {
  if (lua_getglobal(L, "os") == LUA_TTABLE) {
    lua_getfield(L, -1, "exit");
    lua_pushlightuserdata(L, (void *)o);
    lua_pushcclosure(L, hostexit, 2);
    lua_setfield(L, -2, "exit");
  }
  lua_pop(L, 1);
}
