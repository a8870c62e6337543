/*
 * Checks s2fa_ceil (ceil.c) against libm's ceil: special values, the integers and halves
 * around zero and around 2^52, and a million pseudo-random bit patterns. build.sh runs it
 * at every build; exit 1 and the first difference if they disagree.
 *
 *   cc ceil_check.c ceil.c -lm && ./a.out
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

double s2fa_ceil(double x);

static int same(double x)
{
    double expected = ceil(x), actual = s2fa_ceil(x);
    if (isnan(expected) && isnan(actual)) {
        return 1;
    }
    if (memcmp(&expected, &actual, sizeof expected) == 0) {
        return 1;
    }
    fprintf(stderr, "ceil_check: ceil(%a) is %a, s2fa_ceil gives %a\n", x, expected, actual);
    return 0;
}

int main(void)
{
    const double special[] = {0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 1e-300, -1e-300, 4.9e-324, -4.9e-324,
                              4503599627370495.5, -4503599627370495.5, 4503599627370496.0, -4503599627370496.0,
                              9007199254740993.0, 1e300, -1e300, INFINITY, -INFINITY, NAN, -NAN};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
        if (!same(special[i])) {
            return 1;
        }
    }
    for (double base = -1000.0; base <= 1000.0; base += 0.25) {
        if (!same(base) || !same(base + 4503599627370496.0 / 2) || !same(-base - 4503599627370496.0 / 2)) {
            return 1;
        }
    }
    uint64_t state = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 1000000; i++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        double x;
        memcpy(&x, &state, sizeof x);
        if (!same(x) || !same((double)(int64_t)(state >> 11) / 1024.0)) {
            return 1;
        }
    }
    return 0;
}
