/*
** frame_file.c - the mapbuf core alone (mapbuf.h, no Lua): keep a sensor
** frame in a file through a memory map, as a driver might.
**
**   frame-file write PATH   create PATH holding a fresh frame
**   frame-file show PATH    print the frame PATH holds
**
** `mapbuf -w calibrate.lua PATH` then runs the same script over the file
** that sensor-host runs over its memory.
*/
#define _POSIX_C_SOURCE 200809L   /* MS_SYNC */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "mapbuf.h"
#include "frame.h"

static int fail(const char *path, int rc) {
  fprintf(stderr, "frame-file: %s: %s\n", path, mb_strerror(rc));
  return 1;
}

static int writeframe(const char *path) {
  mb_openopts o = MB_OPENOPTS_INIT;
  mb_map *m;
  int rc;
  o.size = sizeof(struct frame);
  if ((rc = mb_open(&m, path, MB_MODE_CREATE, &o)) != 0) return fail(path, rc);
  frame_fill((struct frame *)m->base, 1);   /* base is page-aligned */
  rc = mb_flush(m, 0, m->len, MS_SYNC);
  mb_free(m);
  return rc != 0 ? fail(path, rc) : 0;
}

static int showframe(const char *path) {
  struct frame f;
  mb_map *m;
  int rc;
  if ((rc = mb_open(&m, path, MB_MODE_READ, NULL)) != 0) return fail(path, rc);
  if (m->len < sizeof f) {
    mb_free(m);
    fprintf(stderr, "frame-file: %s: too short for a frame\n", path);
    return 1;
  }
  memcpy(&f, m->base, sizeof f);
  mb_free(m);
  frame_print(stdout, &f);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "write") == 0) return writeframe(argv[2]);
  if (argc == 3 && strcmp(argv[1], "show") == 0) return showframe(argv[2]);
  fprintf(stderr, "usage: %s write|show PATH\n", argv[0]);
  return 2;
}
