#include "sorted.h"

int32_t sorted_find(int32_t n, int (*cmp)(const void *ctx, int32_t i), const void *ctx,
                    bool *found)
{
    int32_t lo = 0, hi = n;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        int c = cmp(ctx, mid);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}
