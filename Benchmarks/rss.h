/* rss.h: the resident set size and private dirty memory of the calling process, shared by
 * the benchmark clients. */
#ifndef SWIFT2FA_BENCH_RSS_H
#define SWIFT2FA_BENCH_RSS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* VmRSS from /proc/self/status, in KiB; -1 when it cannot be read. */
static inline long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    if (f == NULL) {
        return -1;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

/* Private_Dirty from /proc/self/smaps_rollup, in KiB; -1 when it cannot be read. These are
 * the pages this process alone pays for (written data, heap, relocated pointers), unlike
 * the shared clean pages of mapped files, which every process shares. */
static inline long private_dirty_kb(void)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    char line[256];
    long kb = -1;
    if (f == NULL) {
        return -1;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "Private_Dirty:", 14) == 0) {
            kb = strtol(line + 14, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

#endif
