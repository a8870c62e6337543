/*
 * The world the whole-login fuzzer (Fuzz/harnesses/login.swift) puts around the real module
 * code: stand-ins for the libpam calls the C shim makes (no libpam is linked), an in-memory
 * file system behind the module's file calls (wrapped with the linker's --wrap, see
 * Fuzz/run.sh), a fixed clock, a scripted name service, a scripted pooler behind the
 * module's socket calls, and fault injection. Plus the oracle's own crypto (Nettle called directly, not
 * through the module's CCrypto shim).
 *
 * Everything is reset by lf_reset() before each input. While lf_active is 0 (outside
 * pam_sm_authenticate) the wrapped calls pass through to the real ones, so libFuzzer and
 * ASan keep working; while it is 1 every path the module names is looked up in memory only.
 */
#ifndef LOGIN_FUZZ_WORLD_H
#define LOGIN_FUZZ_WORLD_H

#include <stddef.h>
#include <stdint.h>
#include <security/pam_appl.h>

/* ---- the module's entry point (Sources/CPAM/pam_entry.c) ---- */
int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv);

/* ---- switching the world on and off ---- */
void lf_reset(void);
extern int lf_active;

/* ---- the clock: what time(NULL) returns ---- */
extern int64_t lf_now;

/* ---- the in-memory file system ---- */
enum lf_kind { LF_FILE = 1, LF_DIR = 2, LF_SYMLINK = 3, LF_FIFO = 4, LF_SOCKET = 5 };
/* Adds a node; for a symlink `data` is the target. Returns its index or -1. */
int lf_add(const char *path, int kind, unsigned uid, unsigned mode, const uint8_t *data, size_t length);
/* Makes the next open of `path` after the first one return `data` instead (the secret file
 * that changes while the user is at the prompt); length -1 removes the file at that point. */
void lf_replace_after_first_open(const char *path, const uint8_t *data, long length);
/* The contents of a regular file at `path` now, or NULL; *length receives its size. */
const uint8_t *lf_contents(const char *path, size_t *length);
/* The number of temporary files (AtomicFile's ".<name>.tmp.<hex>") in the file system. */
int lf_temporary_files(void);
/* Writes that replaced a file by rename: how many happened. */
extern int lf_renames;

/* ---- fault injection ---- */
/* Bit i set: the i-th fallible file call of the attempt fails (i < 64). */
extern uint64_t lf_fault_mask;
/* Chooses which errno a failing call gets. */
extern unsigned lf_fault_choice;
/* 0: reads return everything asked for; n > 0: at most n bytes per read or write. */
extern unsigned lf_short_io;
/* How many file calls failed by injection in this attempt. */
extern int lf_faults_injected;
/* Event hooks the module started (s2fa_run_detached, which never forks here). */
extern int lf_hooks_started;
/* flock answers EWOULDBLOCK this many times before it succeeds (another login holds it). */
extern unsigned lf_lock_busy;

/* ---- the name service ---- */
/* getpwnam_r: 0 found (lf_account_*), 1 no such user, 2 error (EIO). */
extern int lf_passwd_answer;
extern char lf_account_name[300];
extern char lf_account_home[300];
extern unsigned lf_account_uid, lf_account_gid;
/* getgrnam_r for any name: 0 the group exists with lf_group_gid, 1 no such group, 2 error. */
extern int lf_group_answer;
extern unsigned lf_group_gid;
/* getgrouplist: whether the user's supplementary groups include lf_group_gid. */
extern int lf_group_member;

/* ---- libpam stand-ins ---- */
extern struct pam_conv lf_conv;
extern const char *lf_service;   /* PAM_SERVICE, NULL: item missing */
extern const char *lf_rhost;     /* PAM_RHOST */
extern const char *lf_user;      /* what pam_get_user answers */
extern int lf_get_user_rc;       /* its return code */
extern int lf_set_item_rc;       /* pam_set_item's return code */
extern int lf_set_data_rc;       /* pam_set_data's return code */
extern int lf_drop_priv_rc, lf_regain_priv_rc;
/* Puts a code into the split_answer slot, as an earlier split_answer instance would. */
void lf_keep_code(const char *code);
/* The PAM_AUTHTOK item the module set (NULL if none). */
const char *lf_authtok(void);
/* The code the module left in the split_answer slot at the end (NULL if none). */
const char *lf_kept_code(void);
/* Runs the slot's cleanup, as pam_end does. */
void lf_end(void);

/* ---- the log (pam_syslog) ---- */
int lf_log_count(void);
const char *lf_log_line(int index);

/* ---- the QR code encoder (libqrencode through dlopen in the module) ---- */
/* 0: no library; otherwise a 21x21 pattern from this seed. */
extern unsigned lf_qr_seed;

/* ---- the fleet's pooler: a scripted server behind the module's socket calls ---- */
/* 0: connect is refused; 1: every call is refused with SQLSTATE 42501; 2: lf_db_raw is the
 * start-up answer; 3: lf_db_raw is every call's answer; otherwise honest: start-up, then
 * one row for each call, lf_db_value first ("0" "0" after it for verify's columns). */
extern int lf_db_answer;
extern const char *lf_db_value;
extern const uint8_t *lf_db_raw;
extern size_t lf_db_raw_length;
/* n > 0: the server closes after n bytes of answers. */
extern unsigned lf_db_cut;
/* 1: connect is EINPROGRESS and the first recv EAGAIN, so the poll paths run. */
extern int lf_db_stall;
/* Set when the scripted server sent an answer holding "accepted" (a database that
 * accepted the answer or the enrollment). */
extern int lf_db_accepted;
/* Hands on a started, idle connection whose peer is `peer`, as a split_answer instance does. */
void lf_keep_connection(const char *peer);
/* How many scripted connections are open. */
int lf_open_sockets(void);

/* ---- the oracle's crypto: Nettle directly ---- */
/* HMAC with SHA1 (0), SHA256 (1) or SHA512 (2); returns the MAC length. */
size_t lf_hmac(int algorithm, const uint8_t *key, size_t key_length, const uint8_t *data, size_t data_length,
               uint8_t *out);
void lf_pbkdf2_sha256(const uint8_t *password, size_t password_length, const uint8_t *salt, size_t salt_length,
                      unsigned iterations, uint8_t *out32);
/* PBKDF2 iterations above this are computed as this many inside the module (speed only). */
#define LF_PBKDF2_CAP 2u

#endif
