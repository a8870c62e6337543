/* rss.h: the resident set size and private dirty memory of the calling process, shared by
 * the benchmark clients. */
#ifndef SWIFT2FA_BENCH_RSS_H
#define SWIFT2FA_BENCH_RSS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The value in KiB of the line starting with `field` in the proc file `path`; -1 when it
 * cannot be read. */
static inline long proc_field_kb(const char *path, const char *field)
{
    FILE *f = fopen(path, "r");
    char line[256];
    size_t length = strlen(field);
    long kb = -1;
    if (f == NULL) {
        return -1;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, field, length) == 0) {
            kb = strtol(line + length, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

/* VmRSS from /proc/self/status, in KiB; -1 when it cannot be read. */
static inline long rss_kb(void) { return proc_field_kb("/proc/self/status", "VmRSS:"); }

/* Private_Dirty from /proc/self/smaps_rollup, in KiB; -1 when it cannot be read. These are
 * the pages this process alone pays for (written data, heap, relocated pointers), unlike
 * the shared clean pages of mapped files, which every process shares. */
static inline long private_dirty_kb(void) { return proc_field_kb("/proc/self/smaps_rollup", "Private_Dirty:"); }

#endif
