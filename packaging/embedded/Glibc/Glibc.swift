// A stand-in for the Glibc overlay, which Embedded Swift lacks: the libc headers of
// libc.h plus the few declarations the real overlay adds in Swift. Built by
// packaging/embedded/build.sh as the module Glibc, for the Embedded build only.
@_exported import EmbeddedLibc

/// The calling thread's errno.
public var errno: Int32 {
    get { s2fa_errno() }
    set { s2fa_set_errno(newValue) }
}

/// open(2) without a mode (no O_CREAT).
public func open(_ path: UnsafePointer<CChar>, _ flags: Int32) -> Int32 {
    s2fa_open(path, flags, 0)
}

/// open(2) with the mode of a file it creates.
public func open(_ path: UnsafePointer<CChar>, _ flags: Int32, _ mode: mode_t) -> Int32 {
    s2fa_open(path, flags, mode)
}

/// openat(2) without a mode (no O_CREAT).
public func openat(_ directory: Int32, _ path: UnsafePointer<CChar>, _ flags: Int32) -> Int32 {
    s2fa_openat(directory, path, flags, 0)
}

/// openat(2) with the mode of a file it creates.
public func openat(_ directory: Int32, _ path: UnsafePointer<CChar>, _ flags: Int32, _ mode: mode_t) -> Int32 {
    s2fa_openat(directory, path, flags, mode)
}

// The file-type and permission bits as mode_t, like st_mode (clang imports the macros as
// Int32): all of them, as the real overlay declares them.
public var S_IFMT: mode_t { 0o170000 }
public var S_IFIFO: mode_t { 0o010000 }
public var S_IFCHR: mode_t { 0o020000 }
public var S_IFDIR: mode_t { 0o040000 }
public var S_IFBLK: mode_t { 0o060000 }
public var S_IFREG: mode_t { 0o100000 }
public var S_IFLNK: mode_t { 0o120000 }
public var S_IFSOCK: mode_t { 0o140000 }
public var S_ISUID: mode_t { 0o004000 }
public var S_ISGID: mode_t { 0o002000 }
public var S_ISVTX: mode_t { 0o001000 }
public var S_IRWXU: mode_t { 0o000700 }
public var S_IRUSR: mode_t { 0o000400 }
public var S_IWUSR: mode_t { 0o000200 }
public var S_IXUSR: mode_t { 0o000100 }
public var S_IRWXG: mode_t { 0o000070 }
public var S_IRGRP: mode_t { 0o000040 }
public var S_IWGRP: mode_t { 0o000020 }
public var S_IXGRP: mode_t { 0o000010 }
public var S_IRWXO: mode_t { 0o000007 }
public var S_IROTH: mode_t { 0o000004 }
public var S_IWOTH: mode_t { 0o000002 }
public var S_IXOTH: mode_t { 0o000001 }
