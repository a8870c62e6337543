/*
 * ceil() for the Embedded Swift build of the module, so that it needs no libm.
 *
 * The standard library's hash tables (Set, Dictionary) round their capacity up with
 * Double.rounded(.up), which LLVM lowers to a call to ceil() on x86-64 without SSE4.1.
 * That one call was the module's only use of libm: loading libm cost each login process
 * about 50,000 instructions and 350 KiB of resident memory. build.sh links this function
 * in its place (--defsym=ceil=s2fa_ceil) and checks it against libm's ceil at every build
 * (ceil_check.c). Hidden: the module exports only the PAM entry points anyway.
 */
__attribute__((visibility("hidden"))) double s2fa_ceil(double x);

double s2fa_ceil(double x)
{
    /* From 2^52 up every double is an integer; NaN and the infinities fail the comparison. */
    if (!(__builtin_fabs(x) < 4503599627370496.0)) {
        return x;
    }
    double truncated = (double)(long long)x;
    if (truncated < x) {
        truncated += 1.0;
    }
    /* ceil(-0.5) is -0.0, and ceil(-0.0) is -0.0. */
    return __builtin_copysign(truncated, x);
}
