/* crash.c - see crash.h. */
#include "config.h"

#include "crash.h"

void (*shmring__crash_hook)(const char *point);
