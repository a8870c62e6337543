/* rss.h: the resident set size of the calling process, shared by the benchmark clients. */
#ifndef SWIFT2FA_BENCH_RSS_H
#define SWIFT2FA_BENCH_RSS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* VmRSS from /proc/self/status, in KiB; -1 when it cannot be read. */
static long rss_kb(void)
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

#endif
