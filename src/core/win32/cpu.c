/*
** cpu.c (Win32) - how many CPUs; helper threads need no signal mask
** (Windows delivers no asynchronous signals to arbitrary threads: Ctrl-C
** runs a handler on a thread of its own).
*/
#include "os.h"
#include "w32.h"

long mb_os_ncpu(void) {
  DWORD n = GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);
  return n < 1 ? 1 : (long)n;
}

void mb_os_quiet_begin(void) {}
void mb_os_quiet_end(void) {}
