/* Log-linear latency histogram shared by the kernel and user space.
 *
 * Values below HIST_SUBS land in their own slot; above that each power of two
 * [2^e, 2^(e+1)) is split into HIST_SUBS equal sub-buckets, so a slot is at most
 * 1/HIST_SUBS of its lower bound wide (12.5%) and a percentile read at the slot's
 * middle is within 6.25%. src/histogram/loglinear.ts implements the same mapping;
 * test/integration/hist.test.ts checks the two agree.
 */
#ifndef HUATUO_HIST_H
#define HUATUO_HIST_H

#define HIST_SUB_BITS 3
#define HIST_SUBS (1 << HIST_SUB_BITS)
/* Largest exponent kept: values >= 2^(HIST_MAX_EXP+1) ns (~36 min) share the last slot. */
#define HIST_MAX_EXP 40
#define HIST_SLOTS ((HIST_MAX_EXP - HIST_SUB_BITS + 2) * HIST_SUBS)

struct hist {
	__u64 slots[HIST_SLOTS];
	__u64 count;
	__u64 sum_ns;
	__u64 max_ns;
};

#endif
