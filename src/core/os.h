/*
** os.h - the core's one door to the operating system; not installed.
**
** Everything the shared files (map.c, guard.c, ipc.c, mutex.c, ring.c)
** need from the system is declared here and implemented once per
** platform, side by side: src/core/posix/ (Linux and other Unix) and
** src/core/win32/ (Windows).  The build compiles exactly one of the two
** directories and puts it on the include path, so "osdefs.h" is that
** backend's constants (PROT_*, MAP_*, MS_*, MADV_*: the numbers the
** public API is phrased in).  No shared file includes a system header
** that only one platform has.
**
** Besides what is declared here, each backend implements mb_shm and
** mb_shm_unlink (mapbuf.h) in its shm.c, the clocks, futex calls and
** liveness tests of ipcint.h in its ipc.c and live.c, and, on Windows,
** what its C runtime lacks (win32/string.c: memmem).
**
** Conventions as in mapbuf.h: 0, a positive errno, or an MB_E_* code.
** A descriptor is an int on both platforms (the C runtime's on Windows).
*/
#ifndef MAPBUF_OS_H
#define MAPBUF_OS_H

#include <stdint.h>
#include <stddef.h>

#include "mapbuf.h"
#include "osdefs.h"

/* ---- files (posix/file.c, win32/file.c) ---- */

/* Open path for a map of mode MB_MODE_* (close-on-exec, not inherited). */
int mb_os_open(const char *path, int mode, int *fd);
/* The file's size; *regular 0 when it is not a regular file (a pipe, a
** device: its size means nothing).  regular may be NULL. */
int mb_os_fsize(int fd, uint64_t *size, int *regular);
/* Set the file's size (ftruncate / SetEndOfFile). */
int mb_os_setsize(int fd, uint64_t size);
/* A descriptor of our own for the same file (close-on-exec). */
int mb_os_dup(int fd, int *out);
int mb_os_close(int fd);

/* ---- mappings (posix/map.c, win32/map.c) ---- */

size_t mb_os_pagesize(void);
size_t mb_os_granularity(void);
/* Map len (> 0) bytes of fd (-1: anonymous) at m->offset with m->prot
** and m->flags; *p gets the address. */
int mb_os_map(mb_map *m, size_t len, int fd, int populate, void **p);
/* Unmap all of m (m->base, m->maplen). */
int mb_os_unmap(mb_map *m);
/* Give a mapped m (maplen > 0, valid == len) n > 0 bytes, in place or
** elsewhere; sets base, len, valid and maplen.  The guard has forgotten m
** (the caller tracks it again after). */
int mb_os_remap(mb_map *m, size_t n);
/* Write back n bytes at p (page-aligned, inside m) as flags (MS_*) say. */
int mb_os_sync(mb_map *m, void *p, size_t n, int flags);
/* Give advice (a value of mb_os_advices) on n bytes at p, inside m (whose
** kind may decide what the advice can do). */
int mb_os_advise(mb_map *m, void *p, size_t n, int advice);
/* The platform's tables, *n entries each: the advice mapbuf lets through
** (names as mb_advice takes them), and the MAP_* flags mb_mapfd takes.
** map.c looks names and values up in them. */
typedef struct mb_os_name { const char *name; int value; } mb_os_name;
const mb_os_name *mb_os_advices(size_t *n);
const mb_os_name *mb_os_flagnames(size_t *n);
/* 1 if the advice throws data away (then it must not reach past the
** bytes asked for). */
int mb_os_destroys(int advice);
/* Python's tagname for a map of fd (-1: anonymous) about to be mapped:
** 0, or why it cannot be (MB_E_TAGNAME). */
int mb_os_tagname(mb_map *m, int fd, const char *name);
/* Free what the backend keeps for m beside the mapping (m->section);
** once m is closed, or given up before it was mapped. */
void mb_os_forget(mb_map *m);
/* Check mb_mapfd's flags (MB_E_FLAGS) and bring them to the form the
** rest of the core uses: MAP_SHARED or MAP_PRIVATE, and hints. */
int mb_os_mapflags(int *flags);

/* ---- the truncation guard (posix/guard.c, win32/guard.c) ---- */

/* Install the fault handler (once, from guard.c). */
void mb_os_guard_install(void);

/* ---- CPUs and helper threads (posix/cpu.c, win32/cpu.c) ---- */

/* The CPUs online (at least 1). */
long mb_os_ncpu(void);
/* Around starting helper threads (search.c): block the asynchronous
** signals in this thread, faults left open for the truncation guard, so
** the threads made meanwhile start with them blocked; then give this
** thread its mask back.  Nothing to do where signals are not a thing. */
void mb_os_quiet_begin(void);
void mb_os_quiet_end(void);

/* ---- IPC (posix/ipc.c, win32/ipc.c) ----
** Clocks, sleeps on a word, naps and byte-range locks; ipcint.h says what
** each promises (the clocks and futex calls are declared there). */

/* One try at a byte-range lock on fd (no wait): *got 1 held, 0 busy. */
int mb_os_trylock(int fd, int exclusive, uint64_t start, uint64_t n, int *got);
/* Wait for it, however long; a signal does not end the wait. */
int mb_os_lockwait(int fd, int exclusive, uint64_t start, uint64_t n);
int mb_os_unlock(int fd, uint64_t start, uint64_t n);
/* Give the CPU to another thread that is ready to run. */
void mb_os_yield(void);

#endif
