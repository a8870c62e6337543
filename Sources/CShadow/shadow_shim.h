// The shadow password database (getspnam_r), which Swift's Glibc module leaves out; for
// swift-2fa-setup's report only.
#include <shadow.h>
