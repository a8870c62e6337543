/* The whole-login fuzzer's world; see world.h. */
#define _GNU_SOURCE
#include "world.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nettle/hmac.h>
#include <nettle/pbkdf2.h>
#include <security/pam_modules.h>
#include <security/pam_ext.h>
#include <security/pam_modutil.h>

#include "cpq.h"

int lf_active;
int64_t lf_now;

/* ------------------------------------------------------------------ file system */

#define LF_MAX_NODES 64
#define LF_MAX_FDS 32
#define LF_FD_BASE 0x3000000
#define LF_PATH_MAX 1400

struct lf_node {
    int used;
    char path[LF_PATH_MAX];
    int kind;
    unsigned uid;
    unsigned mode;
    uint8_t *data;
    size_t length;
    int locked;
    /* Replacement for opens after the first (lf_replace_after_first_open). */
    int opens;
    int has_replacement;
    uint8_t *replacement;
    long replacement_length;
};

struct lf_fd {
    int used;
    int node;
    size_t position;
    int writable;
};

static struct lf_node nodes[LF_MAX_NODES];
static struct lf_fd fds[LF_MAX_FDS];
int lf_renames;

uint64_t lf_fault_mask;
unsigned lf_fault_choice;
unsigned lf_short_io;
int lf_faults_injected;
unsigned lf_lock_busy;
static unsigned fault_index;

/* The errno the next fallible call fails with, or 0. `choices` ends with 0. */
static int fault(const int *choices)
{
    unsigned index = fault_index++;
    if (index >= 64 || ((lf_fault_mask >> index) & 1) == 0) {
        return 0;
    }
    unsigned count = 0;
    while (choices[count] != 0) {
        count++;
    }
    lf_faults_injected++;
    return choices[(lf_fault_choice + index) % count];
}

/* No ENOENT: a file that exists and then does not is a different attempt (state reset). */
static const int open_faults[] = { EACCES, EIO, EINTR, EMFILE, ENFILE, 0 };
static const int io_faults[] = { EIO, EINTR, 0 };
static const int write_faults[] = { ENOSPC, EIO, EINTR, EDQUOT, 0 };
static const int stat_faults[] = { EIO, EACCES, 0 };
static const int sync_faults[] = { EIO, EINTR, 0 };
static const int rename_faults[] = { EXDEV, EIO, ENOSPC, 0 };
static const int lock_faults[] = { ENOLCK, EINTR, EBADF, 0 };
static const int close_faults[] = { EIO, 0 };

/* Collapses "//" and "/." and drops a trailing "/"; relative paths stay relative. */
static void normalize(const char *in, char *out, size_t capacity)
{
    size_t n = 0;
    const char *p = in;
    while (*p != '\0' && n + 2 < capacity) {
        if (*p == '/') {
            while (*p == '/') {
                p++;
            }
            if (p[0] == '.' && (p[1] == '/' || p[1] == '\0')) {
                p++;
                continue;
            }
            out[n++] = '/';
            continue;
        }
        out[n++] = *p++;
    }
    if (n > 1 && out[n - 1] == '/') {
        n--;
    }
    if (n == 0 && in[0] == '/') {
        out[n++] = '/';
    }
    out[n] = '\0';
}

static int find(const char *path)
{
    char normal[LF_PATH_MAX];
    normalize(path, normal, sizeof normal);
    for (int i = 0; i < LF_MAX_NODES; i++) {
        if (nodes[i].used && strcmp(nodes[i].path, normal) == 0) {
            return i;
        }
    }
    return -1;
}

/* Follows symlinks (at most 8). -1 and errno on failure. */
static int resolve(const char *path, int follow)
{
    char current[LF_PATH_MAX];
    snprintf(current, sizeof current, "%s", path);
    for (int depth = 0; depth < 8; depth++) {
        int node = find(current);
        if (node < 0) {
            errno = ENOENT;
            return -1;
        }
        if (!follow || nodes[node].kind != LF_SYMLINK) {
            return node;
        }
        snprintf(current, sizeof current, "%.*s", (int)nodes[node].length, (const char *)nodes[node].data);
    }
    errno = ELOOP;
    return -1;
}

static int parent_is_directory(const char *path)
{
    char normal[LF_PATH_MAX];
    normalize(path, normal, sizeof normal);
    char *slash = strrchr(normal, '/');
    if (slash == NULL) {
        return 0;
    }
    if (slash == normal) {
        slash[1] = '\0';
    } else {
        *slash = '\0';
    }
    int node = resolve(normal, 1);
    return node >= 0 && nodes[node].kind == LF_DIR;
}

int lf_add(const char *path, int kind, unsigned uid, unsigned mode, const uint8_t *data, size_t length)
{
    int existing = find(path);
    int slot = existing;
    for (int i = 0; slot < 0 && i < LF_MAX_NODES; i++) {
        if (!nodes[i].used) {
            slot = i;
        }
    }
    if (slot < 0) {
        return -1;
    }
    struct lf_node *node = &nodes[slot];
    free(node->data);
    free(node->replacement);
    memset(node, 0, sizeof *node);
    node->used = 1;
    normalize(path, node->path, sizeof node->path);
    node->kind = kind;
    node->uid = uid;
    node->mode = mode & 07777;
    if (length > 0) {
        node->data = malloc(length);
        if (node->data == NULL) {
            node->used = 0;
            return -1;
        }
        memcpy(node->data, data, length);
        node->length = length;
    }
    return slot;
}

void lf_replace_after_first_open(const char *path, const uint8_t *data, long length)
{
    int node = find(path);
    if (node < 0) {
        return;
    }
    struct lf_node *n = &nodes[node];
    free(n->replacement);
    n->replacement = NULL;
    n->has_replacement = 1;
    n->replacement_length = length;
    if (length > 0) {
        n->replacement = malloc((size_t)length);
        if (n->replacement == NULL) {
            n->has_replacement = 0;
            return;
        }
        memcpy(n->replacement, data, (size_t)length);
    }
}

const uint8_t *lf_contents(const char *path, size_t *length)
{
    int node = find(path);
    *length = 0;
    if (node < 0 || nodes[node].kind != LF_FILE) {
        return NULL;
    }
    *length = nodes[node].length;
    return nodes[node].data != NULL ? nodes[node].data : (const uint8_t *)"";
}

/* AtomicFile's temporary names: ".<name>.tmp.<hex>". */
static int is_temporary(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    if (base[0] != '.') {
        return 0;
    }
    const char *marker = NULL;
    for (const char *p = strstr(base, ".tmp."); p != NULL; p = strstr(p + 1, ".tmp.")) {
        marker = p;
    }
    if (marker == NULL || marker[5] == '\0') {
        return 0;
    }
    for (const char *p = marker + 5; *p != '\0'; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

int lf_temporary_files(void)
{
    int count = 0;
    for (int i = 0; i < LF_MAX_NODES; i++) {
        if (nodes[i].used && is_temporary(nodes[i].path)) {
            count++;
        }
    }
    return count;
}

static int is_fake_fd(int fd)
{
    return fd >= LF_FD_BASE && fd < LF_FD_BASE + LF_MAX_FDS;
}

static struct lf_fd *fd_entry(int fd)
{
    if (!is_fake_fd(fd) || !fds[fd - LF_FD_BASE].used) {
        return NULL;
    }
    return &fds[fd - LF_FD_BASE];
}

static int new_fd(int node, int writable)
{
    for (int i = 0; i < LF_MAX_FDS; i++) {
        if (!fds[i].used) {
            fds[i].used = 1;
            fds[i].node = node;
            fds[i].position = 0;
            fds[i].writable = writable;
            return LF_FD_BASE + i;
        }
    }
    errno = EMFILE;
    return -1;
}

/* The path of `name` relative to the directory open as `dirfd` (or absolute). */
static int join(int dirfd, const char *name, char *out, size_t capacity)
{
    if (name[0] == '/' || dirfd == AT_FDCWD) {
        if (name[0] != '/') {
            errno = ENOENT; /* nothing exists relative to the (unknown) working directory */
            return -1;
        }
        snprintf(out, capacity, "%s", name);
        return 0;
    }
    struct lf_fd *entry = fd_entry(dirfd);
    if (entry == NULL) {
        errno = EBADF;
        return -1;
    }
    struct lf_node *dir = &nodes[entry->node];
    if (!dir->used || dir->kind != LF_DIR) {
        errno = ENOTDIR;
        return -1;
    }
    snprintf(out, capacity, "%s/%s", dir->path, name);
    return 0;
}

static int fs_open(const char *path, int flags, unsigned mode)
{
    int error = fault(open_faults);
    if (error != 0) {
        errno = error;
        return -1;
    }
    int node = find(path);
    if (node >= 0 && nodes[node].kind == LF_SYMLINK) {
        if (flags & O_NOFOLLOW) {
            errno = ELOOP;
            return -1;
        }
        node = resolve(path, 1);
        if (node < 0) {
            return -1;
        }
    }
    if (node < 0) {
        if (!(flags & O_CREAT)) {
            errno = ENOENT;
            return -1;
        }
        if (!parent_is_directory(path)) {
            errno = ENOENT;
            return -1;
        }
        node = lf_add(path, LF_FILE, (unsigned)geteuid(), mode, NULL, 0);
        if (node < 0) {
            errno = ENOSPC;
            return -1;
        }
    } else {
        if ((flags & O_CREAT) && (flags & O_EXCL)) {
            errno = EEXIST;
            return -1;
        }
        if ((flags & O_DIRECTORY) && nodes[node].kind != LF_DIR) {
            errno = ENOTDIR;
            return -1;
        }
        if (nodes[node].kind == LF_DIR && (flags & O_ACCMODE) != O_RDONLY) {
            errno = EISDIR;
            return -1;
        }
        struct lf_node *n = &nodes[node];
        if (n->kind == LF_FILE && n->opens++ >= 1 && n->has_replacement) {
            n->has_replacement = 0;
            if (n->replacement_length < 0) {
                n->used = 0;
                errno = ENOENT;
                return -1;
            }
            free(n->data);
            n->data = n->replacement;
            n->length = (size_t)n->replacement_length;
            n->replacement = NULL;
        }
    }
    if ((flags & O_TRUNC) && nodes[node].kind == LF_FILE) {
        nodes[node].length = 0;
    }
    return new_fd(node, (flags & O_ACCMODE) != O_RDONLY);
}

/* Swift's Glibc overlay defines open and openat itself (libswiftGlibc.so); the module's
 * references to them are wrapped by their mangled names. */
extern __attribute__((swiftcall)) int
real_swift_open2(const char *path, int flags) __asm__("__real_$s5Glibc4openys5Int32VSPys4Int8VG_ADtF");
extern __attribute__((swiftcall)) int
real_swift_open3(const char *path, int flags, unsigned mode) __asm__("__real_$s5Glibc4openys5Int32VSPys4Int8VG_ADs6UInt32VtF");
extern __attribute__((swiftcall)) int
real_swift_openat(int dirfd, const char *path, int flags, unsigned mode) __asm__("__real_$s5Glibc6openatys5Int32VAD_SPys4Int8VGADs6UInt32VtF");

__attribute__((swiftcall)) int
wrap_swift_open2(const char *path, int flags) __asm__("__wrap_$s5Glibc4openys5Int32VSPys4Int8VG_ADtF");
__attribute__((swiftcall)) int
wrap_swift_open3(const char *path, int flags, unsigned mode) __asm__("__wrap_$s5Glibc4openys5Int32VSPys4Int8VG_ADs6UInt32VtF");
__attribute__((swiftcall)) int
wrap_swift_openat(int dirfd, const char *path, int flags, unsigned mode) __asm__("__wrap_$s5Glibc6openatys5Int32VAD_SPys4Int8VGADs6UInt32VtF");

__attribute__((swiftcall)) int wrap_swift_open2(const char *path, int flags)
{
    if (!lf_active) {
        return real_swift_open2(path, flags);
    }
    char full[LF_PATH_MAX];
    if (join(AT_FDCWD, path, full, sizeof full) != 0) {
        return -1;
    }
    return fs_open(full, flags, 0);
}

__attribute__((swiftcall)) int wrap_swift_open3(const char *path, int flags, unsigned mode)
{
    if (!lf_active) {
        return real_swift_open3(path, flags, mode);
    }
    char full[LF_PATH_MAX];
    if (join(AT_FDCWD, path, full, sizeof full) != 0) {
        return -1;
    }
    return fs_open(full, flags, mode);
}

__attribute__((swiftcall)) int wrap_swift_openat(int dirfd, const char *path, int flags, unsigned mode)
{
    if (!lf_active && !is_fake_fd(dirfd)) {
        return real_swift_openat(dirfd, path, flags, mode);
    }
    char full[LF_PATH_MAX];
    if (join(dirfd, path, full, sizeof full) != 0) {
        return -1;
    }
    return fs_open(full, flags, mode);
}

ssize_t __real_read(int fd, void *buffer, size_t count);
ssize_t __wrap_read(int fd, void *buffer, size_t count)
{
    if (!is_fake_fd(fd)) {
        return __real_read(fd, buffer, count);
    }
    struct lf_fd *entry = fd_entry(fd);
    if (entry == NULL) {
        errno = EBADF;
        return -1;
    }
    int error = fault(io_faults);
    if (error != 0) {
        errno = error;
        return -1;
    }
    struct lf_node *node = &nodes[entry->node];
    if (node->kind == LF_DIR) {
        errno = EISDIR;
        return -1;
    }
    if (node->kind != LF_FILE || entry->position >= node->length) {
        return 0;
    }
    size_t left = node->length - entry->position;
    size_t n = count < left ? count : left;
    if (lf_short_io > 0 && n > lf_short_io) {
        n = lf_short_io;
    }
    memcpy(buffer, node->data + entry->position, n);
    entry->position += n;
    return (ssize_t)n;
}

ssize_t __real_write(int fd, const void *buffer, size_t count);
ssize_t __wrap_write(int fd, const void *buffer, size_t count)
{
    if (!is_fake_fd(fd)) {
        return __real_write(fd, buffer, count);
    }
    struct lf_fd *entry = fd_entry(fd);
    if (entry == NULL || !entry->writable) {
        errno = EBADF;
        return -1;
    }
    int error = fault(write_faults);
    if (error != 0) {
        errno = error;
        return -1;
    }
    struct lf_node *node = &nodes[entry->node];
    size_t n = count;
    if (lf_short_io > 0 && n > lf_short_io) {
        n = lf_short_io;
    }
    size_t end = entry->position + n;
    if (end > 65536 * 4) {
        errno = EFBIG;
        return -1;
    }
    if (end > node->length) {
        uint8_t *grown = realloc(node->data, end);
        if (grown == NULL) {
            errno = ENOSPC;
            return -1;
        }
        memset(grown + node->length, 0, end - node->length);
        node->data = grown;
        node->length = end;
    }
    memcpy(node->data + entry->position, buffer, n);
    entry->position = end;
    return (ssize_t)n;
}

int __real_close(int fd);
int __wrap_close(int fd)
{
    if (!is_fake_fd(fd)) {
        return __real_close(fd);
    }
    struct lf_fd *entry = fd_entry(fd);
    if (entry == NULL) {
        errno = EBADF;
        return -1;
    }
    int node = entry->node;
    entry->used = 0;
    /* flock locks go with the last descriptor. */
    int still_open = 0;
    for (int i = 0; i < LF_MAX_FDS; i++) {
        if (fds[i].used && fds[i].node == node) {
            still_open = 1;
        }
    }
    if (!still_open) {
        nodes[node].locked = 0;
    }
    int error = fault(close_faults);
    if (error != 0) {
        errno = error;
        return -1;
    }
    return 0;
}

static void fill_stat(const struct lf_node *node, struct stat *info)
{
    memset(info, 0, sizeof *info);
    unsigned type = node->kind == LF_DIR ? S_IFDIR
        : node->kind == LF_SYMLINK       ? S_IFLNK
        : node->kind == LF_FIFO          ? S_IFIFO
                                         : S_IFREG;
    info->st_mode = type | node->mode;
    info->st_uid = node->uid;
    info->st_gid = node->uid;
    info->st_nlink = 1;
    info->st_size = (off_t)node->length;
    info->st_ino = (ino_t)(node - nodes) + 100;
}

int __real_fstat(int fd, struct stat *info);
int __wrap_fstat(int fd, struct stat *info)
{
    if (!is_fake_fd(fd)) {
        return __real_fstat(fd, info);
    }
    struct lf_fd *entry = fd_entry(fd);
    if (entry == NULL) {
        errno = EBADF;
        return -1;
    }
    int error = fault(stat_faults);
    if (error != 0) {
        errno = error;
        return -1;
    }
    fill_stat(&nodes[entry->node], info);
    return 0;
}

static int path_stat(const char *path, struct stat *info, int follow)
{
    int error = fault(stat_faults);
    if (error != 0) {
        errno = error;
        return -1;
    }
    char full[LF_PATH_MAX];
    if (join(AT_FDCWD, path, full, sizeof full) != 0) {
        return -1;
    }
    int node = resolve(full, follow);
    if (node < 0) {
        return -1;
    }
    fill_stat(&nodes[node], info);
    return 0;
}

int __real_stat(const char *path, struct stat *info);
int __wrap_stat(const char *path, struct stat *info)
{
    if (!lf_active) {
        return __real_stat(path, info);
    }
    return path_stat(path, info, 1);
}

int __real_lstat(const char *path, struct stat *info);
int __wrap_lstat(const char *path, struct stat *info)
{
    if (!lf_active) {
        return __real_lstat(path, info);
    }
    return path_stat(path, info, 0);
}

int __real_fsync(int fd);
int __wrap_fsync(int fd)
{
    if (!is_fake_fd(fd)) {
        return __real_fsync(fd);
    }
    if (fd_entry(fd) == NULL) {
        errno = EBADF;
        return -1;
    }
    int error = fault(sync_faults);
    if (error != 0) {
        errno = error;
        return -1;
    }
    return 0;
}

int __real_fchmod(int fd, mode_t mode);
int __wrap_fchmod(int fd, mode_t mode)
{
    if (!is_fake_fd(fd)) {
        return __real_fchmod(fd, mode);
    }
    struct lf_fd *entry = fd_entry(fd);
    if (entry == NULL) {
        errno = EBADF;
        return -1;
    }
    int error = fault(io_faults);
    if (error != 0) {
        errno = error;
        return -1;
    }
    nodes[entry->node].mode = mode & 07777;
    return 0;
}

int __real_fchown(int fd, uid_t uid, gid_t gid);
int __wrap_fchown(int fd, uid_t uid, gid_t gid)
{
    if (!is_fake_fd(fd)) {
        return __real_fchown(fd, uid, gid);
    }
    struct lf_fd *entry = fd_entry(fd);
    if (entry == NULL) {
        errno = EBADF;
        return -1;
    }
    int error = fault(io_faults);
    if (error != 0) {
        errno = error;
        return -1;
    }
    (void)gid;
    nodes[entry->node].uid = uid;
    return 0;
}

int __real_flock(int fd, int operation);
int __wrap_flock(int fd, int operation)
{
    if (!is_fake_fd(fd)) {
        return __real_flock(fd, operation);
    }
    struct lf_fd *entry = fd_entry(fd);
    if (entry == NULL) {
        errno = EBADF;
        return -1;
    }
    int error = fault(lock_faults);
    if (error != 0) {
        errno = error;
        return -1;
    }
    if (lf_lock_busy > 0) {
        lf_lock_busy--;
        errno = EWOULDBLOCK;
        return -1;
    }
    nodes[entry->node].locked = (operation & LOCK_UN) ? 0 : 1;
    return 0;
}

int __real_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);
int __wrap_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
    if (!lf_active && !is_fake_fd(olddirfd) && !is_fake_fd(newdirfd)) {
        return __real_renameat(olddirfd, oldpath, newdirfd, newpath);
    }
    int error = fault(rename_faults);
    if (error != 0) {
        errno = error;
        return -1;
    }
    char from[LF_PATH_MAX], to[LF_PATH_MAX];
    if (join(olddirfd, oldpath, from, sizeof from) != 0 || join(newdirfd, newpath, to, sizeof to) != 0) {
        return -1;
    }
    int source = find(from);
    if (source < 0) {
        errno = ENOENT;
        return -1;
    }
    int target = find(to);
    if (target >= 0 && target != source) {
        if (nodes[target].kind == LF_DIR) {
            errno = EISDIR;
            return -1;
        }
        /* Descriptors still open on the old target keep reading it. */
        nodes[target].path[0] = '\0';
        int open_elsewhere = 0;
        for (int i = 0; i < LF_MAX_FDS; i++) {
            if (fds[i].used && fds[i].node == target) {
                open_elsewhere = 1;
            }
        }
        if (!open_elsewhere) {
            free(nodes[target].data);
            free(nodes[target].replacement);
            memset(&nodes[target], 0, sizeof nodes[target]);
        }
    }
    normalize(to, nodes[source].path, sizeof nodes[source].path);
    lf_renames++;
    return 0;
}

int __real_unlinkat(int dirfd, const char *path, int flags);
int __wrap_unlinkat(int dirfd, const char *path, int flags)
{
    if (!lf_active && !is_fake_fd(dirfd)) {
        return __real_unlinkat(dirfd, path, flags);
    }
    int error = fault(io_faults);
    if (error != 0) {
        errno = error;
        return -1;
    }
    char full[LF_PATH_MAX];
    if (join(dirfd, path, full, sizeof full) != 0) {
        return -1;
    }
    int node = find(full);
    if (node < 0) {
        errno = ENOENT;
        return -1;
    }
    if (nodes[node].kind == LF_DIR && !(flags & AT_REMOVEDIR)) {
        errno = EISDIR;
        return -1;
    }
    nodes[node].path[0] = '\0';
    return 0;
}

int __real_mkdir(const char *path, mode_t mode);
int __wrap_mkdir(const char *path, mode_t mode)
{
    if (!lf_active) {
        return __real_mkdir(path, mode);
    }
    int error = fault(io_faults);
    if (error != 0) {
        errno = error;
        return -1;
    }
    if (find(path) >= 0) {
        errno = EEXIST;
        return -1;
    }
    if (!parent_is_directory(path)) {
        errno = ENOENT;
        return -1;
    }
    return lf_add(path, LF_DIR, (unsigned)geteuid(), mode, NULL, 0) < 0 ? -1 : 0;
}

int __real_usleep(useconds_t microseconds);
int __wrap_usleep(useconds_t microseconds)
{
    if (!lf_active) {
        return __real_usleep(microseconds);
    }
    return 0; /* the lock wait loop runs without waiting */
}

time_t __real_time(time_t *out);
time_t __wrap_time(time_t *out)
{
    if (!lf_active) {
        return __real_time(out);
    }
    if (out != NULL) {
        *out = (time_t)lf_now;
    }
    return (time_t)lf_now;
}

/* ------------------------------------------------------------------ name service */

int lf_passwd_answer;
char lf_account_name[300];
char lf_account_home[300];
unsigned lf_account_uid, lf_account_gid;
int lf_group_answer;
unsigned lf_group_gid;
int lf_group_member;

static int fill_passwd(struct passwd *entry, char *buffer, size_t size, struct passwd **result)
{
    *result = NULL;
    if (lf_passwd_answer == 1) {
        return 0;
    }
    if (lf_passwd_answer == 2) {
        return EIO;
    }
    size_t name_length = strlen(lf_account_name) + 1;
    size_t home_length = strlen(lf_account_home) + 1;
    if (name_length + home_length + 2 > size) {
        return ERANGE;
    }
    memset(entry, 0, sizeof *entry);
    memcpy(buffer, lf_account_name, name_length);
    memcpy(buffer + name_length, lf_account_home, home_length);
    entry->pw_name = buffer;
    entry->pw_dir = buffer + name_length;
    entry->pw_passwd = buffer + name_length + home_length - 1; /* "" */
    entry->pw_gecos = entry->pw_passwd;
    entry->pw_shell = entry->pw_passwd;
    entry->pw_uid = lf_account_uid;
    entry->pw_gid = lf_account_gid;
    *result = entry;
    return 0;
}

int __real_getpwnam_r(const char *name, struct passwd *entry, char *buffer, size_t size, struct passwd **result);
int __wrap_getpwnam_r(const char *name, struct passwd *entry, char *buffer, size_t size, struct passwd **result)
{
    if (!lf_active) {
        return __real_getpwnam_r(name, entry, buffer, size, result);
    }
    return fill_passwd(entry, buffer, size, result);
}

int __real_getpwuid_r(uid_t uid, struct passwd *entry, char *buffer, size_t size, struct passwd **result);
int __wrap_getpwuid_r(uid_t uid, struct passwd *entry, char *buffer, size_t size, struct passwd **result)
{
    if (!lf_active) {
        return __real_getpwuid_r(uid, entry, buffer, size, result);
    }
    return fill_passwd(entry, buffer, size, result);
}

int __real_getgrnam_r(const char *name, struct group *entry, char *buffer, size_t size, struct group **result);
int __wrap_getgrnam_r(const char *name, struct group *entry, char *buffer, size_t size, struct group **result)
{
    if (!lf_active) {
        return __real_getgrnam_r(name, entry, buffer, size, result);
    }
    *result = NULL;
    if (lf_group_answer == 1) {
        return 0;
    }
    if (lf_group_answer == 2) {
        return EIO;
    }
    size_t length = strlen(name) + 1;
    if (length + sizeof(char *) * 2 > size) {
        return ERANGE;
    }
    memset(entry, 0, sizeof *entry);
    memcpy(buffer, name, length);
    entry->gr_name = buffer;
    entry->gr_passwd = buffer + length - 1;
    entry->gr_gid = lf_group_gid;
    entry->gr_mem = NULL;
    *result = entry;
    return 0;
}

int __real_getgrouplist(const char *user, gid_t group, gid_t *groups, int *count);
int __wrap_getgrouplist(const char *user, gid_t group, gid_t *groups, int *count)
{
    if (!lf_active) {
        return __real_getgrouplist(user, group, groups, count);
    }
    int needed = lf_group_member ? 2 : 1;
    if (*count < needed) {
        *count = needed;
        return -1;
    }
    groups[0] = group;
    if (lf_group_member) {
        groups[1] = lf_group_gid;
    }
    *count = needed;
    return needed;
}

/* ------------------------------------------------------------------ libpam stand-ins */

struct pam_conv lf_conv;
const char *lf_service;
const char *lf_rhost;
const char *lf_user;
int lf_get_user_rc;
int lf_set_item_rc;
int lf_set_data_rc;
int lf_drop_priv_rc, lf_regain_priv_rc;

static char *authtok;
static char *slot_name;
static void *slot_data;
static void (*slot_cleanup)(pam_handle_t *, void *, int);
/* The split_answer guard's mark: its own pam_set_data slot and PAM environment variable
 * (Sources/CPAM/pam_wrappers.c), kept apart from the kept code's slot. */
#define UNSETTLED_SLOT "pam_swift2fa.code_unsettled"
#define UNSETTLED_ENV "PAM_SWIFT2FA_CODE_UNSETTLED"
static void *unsettled_data;
static int unsettled_env;

#define LF_MAX_LOG 64
static char *log_lines[LF_MAX_LOG];
static int log_count;

int pam_get_item(const pam_handle_t *pamh, int item_type, const void **item)
{
    (void)pamh;
    if (item == NULL) {
        return PAM_BUF_ERR;
    }
    switch (item_type) {
    case PAM_CONV:
        *item = &lf_conv;
        return PAM_SUCCESS;
    case PAM_SERVICE:
        *item = lf_service;
        return PAM_SUCCESS;
    case PAM_RHOST:
        *item = lf_rhost;
        return PAM_SUCCESS;
    case PAM_AUTHTOK:
        *item = authtok;
        return PAM_SUCCESS;
    case PAM_USER:
        *item = lf_user;
        return PAM_SUCCESS;
    default:
        *item = NULL;
        return PAM_BAD_ITEM;
    }
}

int pam_set_item(pam_handle_t *pamh, int item_type, const void *item)
{
    (void)pamh;
    if (item_type != PAM_AUTHTOK) {
        return PAM_BAD_ITEM;
    }
    if (lf_set_item_rc != PAM_SUCCESS) {
        return lf_set_item_rc;
    }
    free(authtok);
    authtok = item != NULL ? strdup(item) : NULL;
    return PAM_SUCCESS;
}

int pam_get_user(pam_handle_t *pamh, const char **user, const char *prompt)
{
    (void)pamh;
    (void)prompt;
    *user = lf_get_user_rc == PAM_SUCCESS ? lf_user : NULL;
    return lf_get_user_rc;
}

int pam_set_data(pam_handle_t *pamh, const char *name, void *data,
                 void (*cleanup)(pam_handle_t *pamh, void *data, int error_status))
{
    if (lf_set_data_rc != PAM_SUCCESS) {
        return lf_set_data_rc;
    }
    if (strcmp(name, UNSETTLED_SLOT) == 0) {
        unsettled_data = data;
        return PAM_SUCCESS;
    }
    if (slot_name != NULL && strcmp(slot_name, name) != 0) {
        return PAM_BUF_ERR; /* the module uses one slot besides the guard's mark */
    }
    if (slot_cleanup != NULL) {
        slot_cleanup(pamh, slot_data, PAM_DATA_REPLACE);
    }
    if (slot_name == NULL) {
        slot_name = strdup(name);
    }
    slot_data = data;
    slot_cleanup = cleanup;
    return PAM_SUCCESS;
}

int pam_get_data(const pam_handle_t *pamh, const char *name, const void **data)
{
    (void)pamh;
    if (strcmp(name, UNSETTLED_SLOT) == 0) {
        *data = unsettled_data;
        return unsettled_data != NULL ? PAM_SUCCESS : PAM_NO_MODULE_DATA;
    }
    if (slot_name == NULL || strcmp(slot_name, name) != 0 || slot_data == NULL) {
        return PAM_NO_MODULE_DATA;
    }
    *data = slot_data;
    return PAM_SUCCESS;
}

static void release_slot(void *data, int status)
{
    (void)status;
    char *code = data;
    if (code != NULL) {
        explicit_bzero(code, strlen(code));
        free(code);
    }
}

static void harness_cleanup(pam_handle_t *pamh, void *data, int status)
{
    (void)pamh;
    release_slot(data, status);
}

void lf_keep_code(const char *code)
{
    /* As the module's own split_answer instance would leave it. */
    char *copy = strdup(code);
    if (copy == NULL) {
        return;
    }
    free(slot_name);
    slot_name = strdup("pam_swift2fa.kept_code");
    slot_data = copy;
    slot_cleanup = harness_cleanup;
}

const char *lf_authtok(void)
{
    return authtok;
}

const char *lf_kept_code(void)
{
    return slot_data;
}

int pam_putenv(pam_handle_t *pamh, const char *name_value)
{
    (void)pamh;
    if (strcmp(name_value, UNSETTLED_ENV "=1") == 0) {
        unsettled_env = 1;
        return PAM_SUCCESS;
    }
    if (strcmp(name_value, UNSETTLED_ENV) == 0) {
        if (!unsettled_env) {
            return PAM_BAD_ITEM;
        }
        unsettled_env = 0;
        return PAM_SUCCESS;
    }
    return PAM_BAD_ITEM; /* the module sets no other variable */
}

const char *pam_getenv(pam_handle_t *pamh, const char *name)
{
    (void)pamh;
    return strcmp(name, UNSETTLED_ENV) == 0 && unsettled_env ? "1" : NULL;
}

void lf_end(void)
{
    unsettled_data = NULL;
    unsettled_env = 0;
    if (slot_cleanup != NULL) {
        slot_cleanup(NULL, slot_data, PAM_SUCCESS);
    }
    slot_cleanup = NULL;
    slot_data = NULL;
    free(slot_name);
    slot_name = NULL;
}

void pam_syslog(const pam_handle_t *pamh, int priority, const char *format, ...)
{
    (void)pamh;
    (void)priority;
    if (log_count >= LF_MAX_LOG) {
        return;
    }
    va_list arguments;
    va_start(arguments, format);
    char *line = NULL;
    if (vasprintf(&line, format, arguments) >= 0) {
        log_lines[log_count++] = line;
    }
    va_end(arguments);
}

int lf_log_count(void)
{
    return log_count;
}

const char *lf_log_line(int index)
{
    return index >= 0 && index < log_count ? log_lines[index] : NULL;
}

int pam_modutil_drop_priv(pam_handle_t *pamh, struct pam_modutil_privs *p, const struct passwd *pw)
{
    (void)pamh;
    (void)p;
    (void)pw;
    return lf_drop_priv_rc;
}

int pam_modutil_regain_priv(pam_handle_t *pamh, struct pam_modutil_privs *p)
{
    (void)pamh;
    (void)p;
    return lf_regain_priv_rc;
}

/* ------------------------------------------------------------------ QR code */

unsigned lf_qr_seed;

unsigned char *s2fa_qr_encode(const char *text, int *width)
{
    if (text == NULL || width == NULL) {
        return NULL;
    }
    *width = 0;
    if (lf_qr_seed == 0) {
        return NULL;
    }
    const int size = 21;
    unsigned char *modules = malloc((size_t)size * size);
    if (modules == NULL) {
        return NULL;
    }
    unsigned state = lf_qr_seed;
    for (int i = 0; i < size * size; i++) {
        state = state * 1103515245u + 12345u;
        modules[i] = (state >> 16) & 1;
    }
    *width = size;
    return modules;
}

/* ------------------------------------------------------------------ fleet database */

int lf_db_answer;
const char *lf_db_value;
int lf_db_accepted;

int s2fa_pq_call(const char *conninfo, int timeout_seconds, const char *sql,
                 const char *const *params, int nparams, int script,
                 s2fa_pq_rows **out, char *error, char *sqlstate)
{
    (void)conninfo;
    (void)timeout_seconds;
    (void)sql;
    (void)params;
    (void)nparams;
    (void)script;
    *out = NULL;
    error[0] = '\0';
    sqlstate[0] = '\0';
    switch (lf_db_answer) {
    case 0:
        snprintf(error, S2FA_PQ_ERROR_CAPACITY, "connection refused (fuzz stand-in)");
        return S2FA_PQ_UNAVAILABLE;
    case 1:
        snprintf(error, S2FA_PQ_ERROR_CAPACITY, "permission denied (fuzz stand-in)");
        snprintf(sqlstate, 6, "42501");
        return S2FA_PQ_REFUSED;
    case 2:
        return S2FA_PQ_INTERNAL;
    default:
        break;
    }
    s2fa_pq_rows *rows = calloc(1, sizeof *rows);
    if (rows == NULL) {
        return S2FA_PQ_INTERNAL;
    }
    rows->rows = 1;
    rows->columns = 3;
    rows->values = calloc(3, sizeof(char *));
    if (rows->values == NULL) {
        free(rows);
        return S2FA_PQ_INTERNAL;
    }
    if (lf_db_value != NULL) {
        rows->values[0] = strdup(lf_db_value);
        if (strncmp(lf_db_value, "accepted", 8) == 0) {
            lf_db_accepted = 1;
        }
    }
    rows->values[1] = strdup("0");
    rows->values[2] = strdup("0");
    *out = rows;
    return S2FA_PQ_OK;
}

void s2fa_pq_free(s2fa_pq_rows *rows)
{
    if (rows == NULL) {
        return;
    }
    for (int i = 0; i < rows->rows * rows->columns; i++) {
        free(rows->values[i]);
    }
    free(rows->values);
    free(rows);
}

const char *s2fa_pq_value(const s2fa_pq_rows *rows, int row, int column)
{
    if (rows == NULL || row < 0 || column < 0 || row >= rows->rows || column >= rows->columns) {
        return NULL;
    }
    return rows->values[row * rows->columns + column];
}

/* ------------------------------------------------------------------ crypto */

int __real_s2fa_pbkdf2_sha256(const uint8_t *password, size_t password_length, const uint8_t *salt,
                              size_t salt_length, uint32_t iterations, uint8_t *out, size_t out_length);
int __wrap_s2fa_pbkdf2_sha256(const uint8_t *password, size_t password_length, const uint8_t *salt,
                              size_t salt_length, uint32_t iterations, uint8_t *out, size_t out_length)
{
    /* The module's 20,000-iteration hashes (the dummy check, new enrollments' codes) would
     * make each input take ~50 ms; the harness's own codes use at most LF_PBKDF2_CAP, so
     * the cap changes no outcome the oracle predicts. */
    if (iterations > LF_PBKDF2_CAP) {
        iterations = LF_PBKDF2_CAP;
    }
    return __real_s2fa_pbkdf2_sha256(password, password_length, salt, salt_length, iterations, out, out_length);
}

size_t lf_hmac(int algorithm, const uint8_t *key, size_t key_length, const uint8_t *data, size_t data_length,
               uint8_t *out)
{
    static const uint8_t empty[1];
    if (key == NULL) {
        key = empty;
    }
    if (data == NULL) {
        data = empty;
    }
    switch (algorithm) {
    case 0: {
        struct hmac_sha1_ctx ctx;
        hmac_sha1_set_key(&ctx, key_length, key);
        hmac_sha1_update(&ctx, data_length, data);
        hmac_sha1_digest(&ctx, SHA1_DIGEST_SIZE, out);
        return SHA1_DIGEST_SIZE;
    }
    case 1: {
        struct hmac_sha256_ctx ctx;
        hmac_sha256_set_key(&ctx, key_length, key);
        hmac_sha256_update(&ctx, data_length, data);
        hmac_sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
        return SHA256_DIGEST_SIZE;
    }
    default: {
        struct hmac_sha512_ctx ctx;
        hmac_sha512_set_key(&ctx, key_length, key);
        hmac_sha512_update(&ctx, data_length, data);
        hmac_sha512_digest(&ctx, SHA512_DIGEST_SIZE, out);
        return SHA512_DIGEST_SIZE;
    }
    }
}

void lf_pbkdf2_sha256(const uint8_t *password, size_t password_length, const uint8_t *salt, size_t salt_length,
                      unsigned iterations, uint8_t *out32)
{
    static const uint8_t empty[1];
    pbkdf2_hmac_sha256(password_length, password_length > 0 ? password : empty, iterations,
                       salt_length, salt_length > 0 ? salt : empty, 32, out32);
}

/* ------------------------------------------------------------------ reset */

void lf_reset(void)
{
    lf_active = 0;
    for (int i = 0; i < LF_MAX_NODES; i++) {
        free(nodes[i].data);
        free(nodes[i].replacement);
    }
    memset(nodes, 0, sizeof nodes);
    memset(fds, 0, sizeof fds);
    lf_renames = 0;
    lf_fault_mask = 0;
    lf_fault_choice = 0;
    lf_short_io = 0;
    lf_faults_injected = 0;
    lf_lock_busy = 0;
    fault_index = 0;
    lf_passwd_answer = 0;
    lf_account_name[0] = '\0';
    lf_account_home[0] = '\0';
    lf_account_uid = 1000;
    lf_account_gid = 1000;
    lf_group_answer = 0;
    lf_group_gid = 5000;
    lf_group_member = 1;
    lf_service = NULL;
    lf_rhost = NULL;
    lf_user = NULL;
    lf_get_user_rc = PAM_SUCCESS;
    lf_set_item_rc = PAM_SUCCESS;
    lf_set_data_rc = PAM_SUCCESS;
    lf_drop_priv_rc = 0;
    lf_regain_priv_rc = 0;
    lf_end();
    free(authtok);
    authtok = NULL;
    for (int i = 0; i < log_count; i++) {
        free(log_lines[i]);
    }
    log_count = 0;
    lf_qr_seed = 0;
    lf_db_answer = 0;
    lf_db_value = NULL;
    lf_db_accepted = 0;
}
