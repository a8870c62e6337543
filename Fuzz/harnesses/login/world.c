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
#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <nettle/hmac.h>
#include <nettle/pbkdf2.h>
#include <security/pam_modules.h>
#include <security/pam_ext.h>
#include <security/pam_modutil.h>


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

/* The scripted pooler's descriptors (see "the fleet's pooler" below). */
static int is_socket_fd(int fd);
static int close_socket(int fd);
static int stat_socket(int fd, struct stat *info);

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

/* open and openat of a path the world holds: relative to dirfd, in the in-memory files. */
static int fake_openat(int dirfd, const char *path, int flags, unsigned mode)
{
    char full[LF_PATH_MAX];
    if (join(dirfd, path, full, sizeof full) != 0) {
        return -1;
    }
    return fs_open(full, flags, mode);
}

#ifndef LF_EMBEDDED_SWIFT
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
    return fake_openat(AT_FDCWD, path, flags, 0);
}

__attribute__((swiftcall)) int wrap_swift_open3(const char *path, int flags, unsigned mode)
{
    if (!lf_active) {
        return real_swift_open3(path, flags, mode);
    }
    return fake_openat(AT_FDCWD, path, flags, mode);
}

__attribute__((swiftcall)) int wrap_swift_openat(int dirfd, const char *path, int flags, unsigned mode)
{
    if (!lf_active && !is_fake_fd(dirfd)) {
        return real_swift_openat(dirfd, path, flags, mode);
    }
    return fake_openat(dirfd, path, flags, mode);
}

#else
/* The Embedded build (Fuzz/run.sh --embedded) has no overlay: its Glibc stand-in calls the C
 * open and openat, wrapped by their C names. The mode argument is there only with O_CREAT or
 * O_TMPFILE. */
static unsigned mode_argument(int flags, va_list arguments)
{
    return ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? va_arg(arguments, unsigned) : 0;
}

int __real_openat(int dirfd, const char *path, int flags, ...);
int __wrap_openat(int dirfd, const char *path, int flags, ...)
{
    va_list arguments;
    va_start(arguments, flags);
    unsigned mode = mode_argument(flags, arguments);
    va_end(arguments);
    if (!lf_active && !is_fake_fd(dirfd)) {
        return __real_openat(dirfd, path, flags, mode);
    }
    return fake_openat(dirfd, path, flags, mode);
}

int __wrap_open(const char *path, int flags, ...)
{
    va_list arguments;
    va_start(arguments, flags);
    unsigned mode = mode_argument(flags, arguments);
    va_end(arguments);
    return __wrap_openat(AT_FDCWD, path, flags, mode);
}
#endif

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

/* pwrite: a write at `offset` that leaves the descriptor's position as it was (the state
 * file's in-place update); short and failing like write. */
ssize_t __real_pwrite(int fd, const void *buffer, size_t count, off_t offset);
ssize_t __wrap_pwrite(int fd, const void *buffer, size_t count, off_t offset)
{
    if (!is_fake_fd(fd)) {
        return __real_pwrite(fd, buffer, count, offset);
    }
    struct lf_fd *entry = fd_entry(fd);
    if (entry == NULL || offset < 0) {
        errno = entry == NULL ? EBADF : EINVAL;
        return -1;
    }
    size_t position = entry->position;
    entry->position = (size_t)offset;
    ssize_t written = __wrap_write(fd, buffer, count);
    entry->position = position;
    return written;
}

int __real_close(int fd);
int __wrap_close(int fd)
{
    if (is_socket_fd(fd)) {
        return close_socket(fd);
    }
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
        : node->kind == LF_SOCKET        ? S_IFSOCK
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
    if (is_socket_fd(fd)) {
        return stat_socket(fd, info);
    }
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

int __real_fdatasync(int fd);
int __wrap_fdatasync(int fd)
{
    if (!is_fake_fd(fd)) {
        return __real_fdatasync(fd);
    }
    return __wrap_fsync(fd);
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
/* pam_set_data's slots: the kept code's, the handed-on pooler connection's. */
#define LF_MAX_SLOTS 4
#define KEPT_CODE_SLOT "pam_swift2fa.kept_code"
#define KEPT_CONNECTION_SLOT "pam_swift2fa.pooler_connection"
struct lf_slot {
    char *name;
    void *data;
    void (*cleanup)(pam_handle_t *, void *, int);
};
static struct lf_slot slots[LF_MAX_SLOTS];
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

static struct lf_slot *slot_named(const char *name)
{
    for (int i = 0; i < LF_MAX_SLOTS; i++) {
        if (slots[i].name != NULL && strcmp(slots[i].name, name) == 0) {
            return &slots[i];
        }
    }
    return NULL;
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
    struct lf_slot *slot = slot_named(name);
    if (slot == NULL) {
        for (int i = 0; i < LF_MAX_SLOTS && slot == NULL; i++) {
            if (slots[i].name == NULL) {
                slot = &slots[i];
            }
        }
        if (slot == NULL || (slot->name = strdup(name)) == NULL) {
            return PAM_BUF_ERR;
        }
    } else if (slot->cleanup != NULL) {
        slot->cleanup(pamh, slot->data, PAM_DATA_REPLACE);
    }
    slot->data = data;
    slot->cleanup = cleanup;
    return PAM_SUCCESS;
}

int pam_get_data(const pam_handle_t *pamh, const char *name, const void **data)
{
    (void)pamh;
    if (strcmp(name, UNSETTLED_SLOT) == 0) {
        *data = unsettled_data;
        return unsettled_data != NULL ? PAM_SUCCESS : PAM_NO_MODULE_DATA;
    }
    struct lf_slot *slot = slot_named(name);
    if (slot == NULL || slot->data == NULL) {
        return PAM_NO_MODULE_DATA;
    }
    *data = slot->data;
    return PAM_SUCCESS;
}

static void release_kept_code(pam_handle_t *pamh, void *data, int status)
{
    (void)pamh;
    (void)status;
    char *code = data;
    if (code != NULL) {
        explicit_bzero(code, strlen(code));
        free(code);
    }
}

/* Puts `data` into the slot `name` as an earlier instance of the module would have. */
static void preset_slot(const char *name, void *data, void (*cleanup)(pam_handle_t *, void *, int))
{
    int saved = lf_set_data_rc;
    lf_set_data_rc = PAM_SUCCESS;
    pam_handle_t *handle = (pam_handle_t *)slots; /* any handle: the stand-ins ignore it */
    if (pam_set_data(handle, name, data, cleanup) != PAM_SUCCESS && cleanup != NULL) {
        cleanup(handle, data, 0);
    }
    lf_set_data_rc = saved;
}

void lf_keep_code(const char *code)
{
    /* As the module's own split_answer instance would leave it. */
    char *copy = strdup(code);
    if (copy != NULL) {
        preset_slot(KEPT_CODE_SLOT, copy, release_kept_code);
    }
}

const char *lf_authtok(void)
{
    return authtok;
}

const char *lf_kept_code(void)
{
    struct lf_slot *slot = slot_named(KEPT_CODE_SLOT);
    return slot != NULL ? slot->data : NULL;
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
    for (int i = 0; i < LF_MAX_SLOTS; i++) {
        if (slots[i].cleanup != NULL) {
            slots[i].cleanup(NULL, slots[i].data, PAM_SUCCESS);
        }
        free(slots[i].name);
    }
    memset(slots, 0, sizeof slots);
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

/* ------------------------------------------------------------------ the fleet's pooler */

/* The module's PoolerConnection reaches PgBouncer through socket, connect, send, recv,
 * poll, getsockopt, getpeername, fstat and close: all wrapped here. A socket descriptor
 * is a scripted server: it reads the module's v3 messages and queues an answer to each
 * start-up message and each Sync (see world.h for the choices). */

#define LF_MAX_SOCKETS 2
#define LF_SOCKET_BASE 0x3100000
#define LF_STREAM_MAX 8192

int lf_db_answer;
const char *lf_db_value;
const uint8_t *lf_db_raw;
size_t lf_db_raw_length;
unsigned lf_db_cut;
int lf_db_stall;
int lf_db_accepted;

struct lf_socket {
    int used;
    int connected;
    char peer[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int started;                 /* the start-up message was read */
    uint8_t in[LF_STREAM_MAX];   /* what the module sent, not yet read as messages */
    size_t in_length;
    char sql[256];               /* the last Parse's statement (a prefix) */
    uint8_t out[LF_STREAM_MAX];  /* the answer, not yet received by the module */
    size_t out_length, out_position;
    size_t delivered;            /* bytes received in all, for lf_db_cut */
    int stalled;
};
static struct lf_socket sockets[LF_MAX_SOCKETS];

static struct lf_socket *socket_entry(int fd)
{
    if (fd < LF_SOCKET_BASE || fd >= LF_SOCKET_BASE + LF_MAX_SOCKETS || !sockets[fd - LF_SOCKET_BASE].used) {
        return NULL;
    }
    return &sockets[fd - LF_SOCKET_BASE];
}

static int is_socket_fd(int fd)
{
    return fd >= LF_SOCKET_BASE && fd < LF_SOCKET_BASE + LF_MAX_SOCKETS;
}

static int close_socket(int fd)
{
    struct lf_socket *entry = socket_entry(fd);
    if (entry == NULL) {
        errno = EBADF;
        return -1;
    }
    entry->used = 0;
    return 0;
}

static int stat_socket(int fd, struct stat *info)
{
    if (socket_entry(fd) == NULL) {
        errno = EBADF;
        return -1;
    }
    memset(info, 0, sizeof *info);
    info->st_mode = S_IFSOCK | 0777;
    return 0;
}

static void queue(struct lf_socket *entry, const void *bytes, size_t length)
{
    if (length > sizeof entry->out - entry->out_length) {
        length = sizeof entry->out - entry->out_length;
    }
    memcpy(entry->out + entry->out_length, bytes, length);
    entry->out_length += length;
}

static void queue_message(struct lf_socket *entry, char type, const void *body, size_t length)
{
    uint8_t header[5] = { (uint8_t)type, 0, 0, 0, 0 };
    uint32_t total = (uint32_t)length + 4;
    header[1] = (uint8_t)(total >> 24);
    header[2] = (uint8_t)(total >> 16);
    header[3] = (uint8_t)(total >> 8);
    header[4] = (uint8_t)total;
    queue(entry, header, sizeof header);
    queue(entry, body, length);
}

static void queue_raw(struct lf_socket *entry)
{
    if (lf_db_raw != NULL) {
        queue(entry, lf_db_raw, lf_db_raw_length);
        if (memmem(lf_db_raw, lf_db_raw_length, "accepted", 8) != NULL) {
            lf_db_accepted = 1;
        }
    }
}

static void answer_startup(struct lf_socket *entry)
{
    if (lf_db_answer == 2) {
        queue_raw(entry);
        return;
    }
    static const uint8_t ok[4] = { 0, 0, 0, 0 };
    static const char parameter[] = "server_version\0" "15.0";
    static const uint8_t key[8] = { 0, 0, 0, 7, 1, 2, 3, 4 };
    queue_message(entry, 'R', ok, sizeof ok);
    queue_message(entry, 'S', parameter, sizeof parameter);
    queue_message(entry, 'K', key, sizeof key);
    queue_message(entry, 'Z', "I", 1);
}

static void answer_call(struct lf_socket *entry)
{
    if (lf_db_answer == 3) {
        queue_raw(entry);
        return;
    }
    if (lf_db_answer == 1) {
        static const char error[] = "SERROR\0" "C42501\0" "Mpermission denied (fuzz stand-in)\0";
        queue_message(entry, 'E', error, sizeof error);
        queue_message(entry, 'Z', "I", 1);
        return;
    }
    /* Honest: lf_db_value, then for verify's seven columns no failures, no back-off,
       10 backup codes left, not locked now, the credential "default", no drift (NULL). */
    const char *value = lf_db_value != NULL ? lf_db_value : "";
    static const char *const verify_rest[6] = { "0", "0", "10", "f", "default", NULL };
    int columns = strstr(entry->sql, "verify(") != NULL ? 7 : 1;
    uint8_t body[512];
    size_t n = 0;
    body[n++] = 0;
    body[n++] = (uint8_t)columns;
    for (int column = 0; column < columns; column++) {
        /* name "c", table 0, column 0, type text (25), size -1, modifier -1, text format */
        static const uint8_t field[20] = { 'c', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0 };
        memcpy(body + n, field, sizeof field);
        n += sizeof field;
    }
    queue_message(entry, '1', NULL, 0);
    queue_message(entry, '2', NULL, 0);
    queue_message(entry, 'T', body, n);
    n = 0;
    body[n++] = 0;
    body[n++] = (uint8_t)columns;
    for (int column = 0; column < columns; column++) {
        const char *text = column == 0 ? value : verify_rest[column - 1];
        if (text == NULL) {
            /* NULL: length -1 */
            memset(body + n, 0xff, 4);
            n += 4;
            continue;
        }
        size_t length = strlen(text);
        if (length > 200) {
            length = 200;
        }
        body[n++] = 0;
        body[n++] = 0;
        body[n++] = 0;
        body[n++] = (uint8_t)length;
        memcpy(body + n, text, length);
        n += length;
    }
    queue_message(entry, 'D', body, n);
    queue_message(entry, 'C', "SELECT 1", 9);
    queue_message(entry, 'Z', "I", 1);
    if (strncmp(value, "accepted", 8) == 0) {
        lf_db_accepted = 1;
    }
}

/* Reads the module's complete messages and answers them. */
static void serve(struct lf_socket *entry)
{
    size_t position = 0;
    while (entry->in_length - position >= (entry->started ? 5u : 4u)) {
        const uint8_t *at = entry->in + position + (entry->started ? 1 : 0);
        size_t length = (size_t)at[0] << 24 | (size_t)at[1] << 16 | (size_t)at[2] << 8 | at[3];
        size_t total = length + (entry->started ? 1 : 0);
        if (length < 4 || total > entry->in_length - position) {
            break;
        }
        if (!entry->started) {
            entry->started = 1;
            answer_startup(entry);
        } else if (entry->in[position] == 'P') {
            /* Parse: name "\0", then the statement. */
            size_t body = position + 5, stop = position + total;
            while (body < stop && entry->in[body] != 0) {
                body++;
            }
            size_t text = body + 1, copy = 0;
            while (text + copy < stop && entry->in[text + copy] != 0 && copy + 1 < sizeof entry->sql) {
                copy++;
            }
            memcpy(entry->sql, entry->in + text, copy);
            entry->sql[copy] = '\0';
        } else if (entry->in[position] == 'S') {
            answer_call(entry);
        }
        position += total;
    }
    memmove(entry->in, entry->in + position, entry->in_length - position);
    entry->in_length -= position;
}

/* The bytes the module may still receive before the scripted server closes (lf_db_cut). */
static size_t receivable(const struct lf_socket *entry)
{
    size_t left = entry->out_length - entry->out_position;
    if (lf_db_cut > 0) {
        size_t budget = lf_db_cut > entry->delivered ? lf_db_cut - entry->delivered : 0;
        if (left > budget) {
            left = budget;
        }
    }
    return left;
}

static int new_socket(void)
{
    for (int i = 0; i < LF_MAX_SOCKETS; i++) {
        if (!sockets[i].used) {
            memset(&sockets[i], 0, sizeof sockets[i]);
            sockets[i].used = 1;
            sockets[i].stalled = !lf_db_stall;
            return LF_SOCKET_BASE + i;
        }
    }
    errno = EMFILE;
    return -1;
}

int __real_socket(int domain, int type, int protocol);
int __wrap_socket(int domain, int type, int protocol)
{
    if (!lf_active) {
        return __real_socket(domain, type, protocol);
    }
    if (domain != AF_UNIX) {
        errno = EAFNOSUPPORT;
        return -1;
    }
    return new_socket();
}

int __real_connect(int fd, const struct sockaddr *address, socklen_t length);
int __wrap_connect(int fd, const struct sockaddr *address, socklen_t length)
{
    if (!is_socket_fd(fd)) {
        return __real_connect(fd, address, length);
    }
    struct lf_socket *entry = socket_entry(fd);
    if (entry == NULL || address == NULL || length < sizeof(sa_family_t) || address->sa_family != AF_UNIX) {
        errno = entry == NULL ? EBADF : EINVAL;
        return -1;
    }
    if (lf_db_answer == 0) {
        errno = ECONNREFUSED;
        return -1;
    }
    const struct sockaddr_un *unix_address = (const struct sockaddr_un *)address;
    snprintf(entry->peer, sizeof entry->peer, "%.*s", (int)(sizeof entry->peer - 1), unix_address->sun_path);
    entry->connected = 1;
    if (lf_db_stall) {
        errno = EINPROGRESS; /* completes at once: poll says writable, SO_ERROR 0 */
        return -1;
    }
    return 0;
}

ssize_t __real_send(int fd, const void *buffer, size_t count, int flags);
ssize_t __wrap_send(int fd, const void *buffer, size_t count, int flags)
{
    if (!is_socket_fd(fd)) {
        return __real_send(fd, buffer, count, flags);
    }
    struct lf_socket *entry = socket_entry(fd);
    if (entry == NULL || !entry->connected) {
        errno = entry == NULL ? EBADF : ENOTCONN;
        return -1;
    }
    if (lf_db_cut > 0 && entry->delivered >= lf_db_cut) {
        errno = EPIPE; /* the scripted server has closed */
        return -1;
    }
    size_t n = count;
    if (lf_short_io > 0 && n > lf_short_io) {
        n = lf_short_io;
    }
    if (n > sizeof entry->in - entry->in_length) {
        errno = EPIPE; /* more than any honest session sends: the server gave up */
        return -1;
    }
    memcpy(entry->in + entry->in_length, buffer, n);
    entry->in_length += n;
    serve(entry);
    return (ssize_t)n;
}

ssize_t __real_recv(int fd, void *buffer, size_t count, int flags);
ssize_t __wrap_recv(int fd, void *buffer, size_t count, int flags)
{
    if (!is_socket_fd(fd)) {
        return __real_recv(fd, buffer, count, flags);
    }
    struct lf_socket *entry = socket_entry(fd);
    if (entry == NULL || !entry->connected) {
        errno = entry == NULL ? EBADF : ENOTCONN;
        return -1;
    }
    if (!entry->stalled) {
        entry->stalled = 1; /* once: nothing yet, then poll says readable */
        errno = EAGAIN;
        return -1;
    }
    size_t n = receivable(entry);
    if (n > count) {
        n = count;
    }
    if (lf_short_io > 0 && n > lf_short_io) {
        n = lf_short_io;
    }
    memcpy(buffer, entry->out + entry->out_position, n);
    entry->out_position += n;
    entry->delivered += n;
    if (entry->out_position == entry->out_length) {
        entry->out_position = entry->out_length = 0;
    }
    return (ssize_t)n; /* 0: the scripted server said all it will and closed */
}

int __real_poll(struct pollfd *entries, nfds_t count, int timeout);
int __wrap_poll(struct pollfd *entries, nfds_t count, int timeout)
{
    if (!lf_active) {
        return __real_poll(entries, count, timeout);
    }
    if (count == 0) {
        return 0; /* a pause: time does not pass in this world */
    }
    int ready = 0;
    for (nfds_t i = 0; i < count; i++) {
        entries[i].revents = 0;
        if (socket_entry(entries[i].fd) == NULL) {
            entries[i].revents = POLLNVAL;
        } else {
            /* The scripted server is always ready: it has answered or closed. */
            entries[i].revents = entries[i].events & (POLLIN | POLLOUT);
        }
        ready += entries[i].revents != 0;
    }
    return ready;
}

int __real_getsockopt(int fd, int level, int name, void *value, socklen_t *length);
int __wrap_getsockopt(int fd, int level, int name, void *value, socklen_t *length)
{
    if (!is_socket_fd(fd)) {
        return __real_getsockopt(fd, level, name, value, length);
    }
    if (socket_entry(fd) == NULL || value == NULL || length == NULL || *length < sizeof(int)) {
        errno = EBADF;
        return -1;
    }
    if (level != SOL_SOCKET || (name != SO_ERROR && name != SO_TYPE)) {
        errno = ENOPROTOOPT;
        return -1;
    }
    *(int *)value = name == SO_TYPE ? SOCK_STREAM : 0;
    *length = sizeof(int);
    return 0;
}

int __real_getpeername(int fd, struct sockaddr *address, socklen_t *length);
int __wrap_getpeername(int fd, struct sockaddr *address, socklen_t *length)
{
    if (!is_socket_fd(fd)) {
        return __real_getpeername(fd, address, length);
    }
    struct lf_socket *entry = socket_entry(fd);
    if (entry == NULL || !entry->connected || address == NULL || length == NULL) {
        errno = entry == NULL ? EBADF : ENOTCONN;
        return -1;
    }
    struct sockaddr_un peer;
    memset(&peer, 0, sizeof peer);
    peer.sun_family = AF_UNIX;
    memcpy(peer.sun_path, entry->peer, sizeof peer.sun_path);
    socklen_t full = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(entry->peer) + 1);
    memcpy(address, &peer, *length < full ? *length : full);
    *length = full;
    return 0;
}

/* A connection an earlier split_answer instance handed on: started up, idle, its peer
 * `peer` (the pooler socket, or another path). pam_end closes it when the module does not
 * take it. */
static void release_kept_connection(pam_handle_t *pamh, void *data, int status)
{
    (void)pamh;
    if (data != NULL && (status & PAM_DATA_REPLACE) == 0) {
        struct lf_socket *entry = socket_entry(*(int *)data);
        if (entry != NULL) {
            entry->used = 0;
        }
    }
    free(data);
}

void lf_keep_connection(const char *peer)
{
    int fd = new_socket();
    int *kept = malloc(sizeof *kept);
    if (fd < 0 || kept == NULL) {
        free(kept);
        return;
    }
    struct lf_socket *entry = socket_entry(fd);
    snprintf(entry->peer, sizeof entry->peer, "%s", peer);
    entry->connected = 1;
    entry->started = 1;
    *kept = fd;
    preset_slot(KEPT_CONNECTION_SLOT, kept, release_kept_connection);
}

int lf_open_sockets(void)
{
    int open = 0;
    for (int i = 0; i < LF_MAX_SOCKETS; i++) {
        open += sockets[i].used;
    }
    return open;
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
    lf_db_raw = NULL;
    lf_db_raw_length = 0;
    lf_db_cut = 0;
    lf_db_stall = 0;
    lf_db_accepted = 0;
    memset(sockets, 0, sizeof sockets);
}

/* The event hook (notify =): never forks here; the call is counted. */
int lf_hooks_started;
int __wrap_s2fa_run_detached(const char *path, const char *input, size_t input_length,
                             unsigned timeout_seconds, const char *log_ident)
{
    (void)path; (void)input; (void)input_length; (void)timeout_seconds; (void)log_ident;
    lf_hooks_started++;
    return 0;
}
