/* Helpers shared by every huatuo BPF program. */
#ifndef HUATUO_COMMON_H
#define HUATUO_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "hist.h"
#include "core_fixes.h"

#define TASK_COMM_LEN 16

/* Enums, not macros, at the kernel/user boundary: they are in the object's BTF, and user
 * space reads their values from there (BpfObject.enumValues) instead of restating them.
 */

/* Which cgroup hierarchy a cgroup id refers to (rodata targ_cgroup_hier). */
enum cgroup_hier {
	CGROUP_HIER_V2 = 0,	   /* the unified (default) hierarchy */
	CGROUP_HIER_V1_CPU = 1,	   /* cgroup v1 cpu controller */
	CGROUP_HIER_V1_MEMORY = 2, /* cgroup v1 memory controller */
};

/* What a latency tool's rows are keyed by on the task side (rodata targ_by). A tool's
 * own keys (softirq's vector) start at TASK_KEY_BY_TOOL.
 */
enum task_key_by {
	TASK_KEY_BY_COMM = 0,
	TASK_KEY_BY_PID = 1,	/* one row per process, named as its main thread */
	TASK_KEY_BY_TID = 2,
	TASK_KEY_BY_CPU = 3,
	TASK_KEY_BY_CGROUP = 4, /* also pod and container rows: cgroups relabelled in user space */
	TASK_KEY_BY_TOOL = 8,
};

/* The task part of a row's key; members a key does not use stay zero. */
struct task_key {
	__u64 cgroup_id; /* TASK_KEY_BY_CGROUP */
	__u32 id;	 /* tgid, tid or cpu */
	__u32 __pad;
	char comm[16];	 /* TASK_KEY_BY_COMM, PID, TID */
};

/* Anchors: unused, but they put the enums and the key in every object's BTF. */
const enum cgroup_hier cgroup_hier_btf_anchor __attribute__((unused));
const enum task_key_by task_key_by_btf_anchor __attribute__((unused));
const struct task_key task_key_btf_anchor __attribute__((unused));

/* Reading task fields from code shared by tp_btf and raw_tp programs. A tp_btf program
 * gets BTF-typed pointers it may load from directly, which costs no helper call; a raw_tp
 * program must use bpf_probe_read_kernel. Callers pass `btf` as a constant, so the
 * compiler keeps one branch per program.
 */
#define BTF_READ(btf, p, field) ((btf) ? (p)->field : BPF_CORE_READ((p), field))
#define TASK_READ(btf, t, field) BTF_READ(btf, t, field)

static __always_inline void task_comm(bool btf, char dst[TASK_COMM_LEN], struct task_struct *t)
{
	if (btf) {
		/* Two 8-byte loads: comm is 8-aligned in task_struct on every kernel. */
		((__u64 *)dst)[0] = *(__u64 *)&t->comm[0];
		((__u64 *)dst)[1] = *(__u64 *)&t->comm[8];
	} else {
		bpf_probe_read_kernel(dst, TASK_COMM_LEN, &t->comm);
	}
}

/* floor(log2(v)) for v > 0, by shifts: clang 14 crashes on __builtin_clzll for BPF. */
static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xffffffffULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xffff) << 4; v >>= shift; r |= shift;
	shift = (v > 0xff) << 3; v >>= shift; r |= shift;
	shift = (v > 0xf) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

/* Slot of a value in struct hist (see hist.h). */
static __always_inline __u64 hist_slot(__u64 v)
{
	__u64 e;

	if (v < HIST_SUBS)
		return v;
	e = log2_u64(v);
	if (e > HIST_MAX_EXP)
		return HIST_SLOTS - 1;
	return (e - HIST_SUB_BITS + 1) * HIST_SUBS + ((v >> (e - HIST_SUB_BITS)) & (HIST_SUBS - 1));
}

/* Add one value to a histogram owned by this CPU (per-CPU map value: no atomics). */
static __always_inline void hist_add(struct hist *h, __u64 v)
{
	/* 64-bit slot: a 32-bit one gets zero-extended into a register the verifier did not bound. */
	__u64 slot = hist_slot(v);

	if (slot >= HIST_SLOTS)
		slot = HIST_SLOTS - 1;
	h->slots[slot]++;
	h->count++;
	h->sum_ns += v;
	if (v > h->max_ns)
		h->max_ns = v;
}

/* The cgroup id of any task (not only current): its cgroup in the unified hierarchy,
 * or in the cgroup v1 cpu/memory hierarchy on v1 and hybrid hosts. The id is the
 * cgroup directory's inode number, which user space gets from stat(2).
 */
static __always_inline __u64 task_cgroup_id(struct task_struct *t, int hier)
{
	struct css_set *cset = BPF_CORE_READ(t, cgroups);
	struct cgroup_subsys_state *css;
	struct cgroup *cgrp;
	int idx;

	if (hier == CGROUP_HIER_V2) {
		cgrp = BPF_CORE_READ(cset, dfl_cgrp);
	} else {
		if (hier == CGROUP_HIER_V1_CPU)
			idx = bpf_core_enum_value(enum cgroup_subsys_id, cpu_cgrp_id);
		else
			idx = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
		if (idx < 0 || idx >= 16)
			return 0;
		if (bpf_core_read(&css, sizeof(css), &cset->subsys[idx]))
			return 0;
		cgrp = BPF_CORE_READ(css, cgroup);
	}
	return BPF_CORE_READ(cgrp, kn, id);
}

/* Equal comm strings (NUL-terminated within TASK_COMM_LEN). */
/* b is volatile: rodata read through a non-volatile pointer gets folded to its zero initializer. */
static __always_inline bool comm_equal(const char *a, const volatile char *b)
{
#pragma unroll
	for (int i = 0; i < TASK_COMM_LEN; i++) {
		if (a[i] != b[i])
			return false;
		if (a[i] == 0)
			return true;
	}
	return true;
}

/* Each tool is one object built from one .c file that includes this header once,
 * so the shared settings, maps and helpers below are defined here directly.
 */

/* The task filter every tool offers (--pid, --tid, --comm, --cgroup/--pod …),
 * always applied to the task being measured, never blindly to `current`.
 */
const volatile __u32 targ_tgid = 0;
const volatile __u32 targ_tid = 0;
const volatile bool targ_filter_comm = false;
const volatile char targ_comm[TASK_COMM_LEN] = {};
const volatile bool targ_filter_cgroup = false;
const volatile int targ_cgroup_hier = CGROUP_HIER_V2;

/* Allowed cgroup ids, filled by user space before attach (a set: the value is unused). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u8);
} cgroup_filter SEC(".maps");

static __always_inline bool task_filtered_out(bool btf, struct task_struct *t)
{
	if (targ_tgid && TASK_READ(btf, t, tgid) != targ_tgid)
		return true;
	if (targ_tid && TASK_READ(btf, t, pid) != targ_tid)
		return true;
	if (targ_filter_comm) {
		char comm[TASK_COMM_LEN] __attribute__((aligned(8)));

		task_comm(btf, comm, t);
		if (!comm_equal(comm, targ_comm))
			return true;
	}
	if (targ_filter_cgroup) {
		__u64 id = task_cgroup_id(t, targ_cgroup_hier);

		if (!bpf_map_lookup_elem(&cgroup_filter, &id))
			return true;
	}
	return false;
}

/* Fill the task part of a key for task t, by `by` (enum task_key_by). */
static __always_inline void task_key_fill(bool btf, struct task_key *k, struct task_struct *t, int by)
{
	switch (by) {
	case TASK_KEY_BY_PID:
		/* One row per process, named as its main thread: threads may name themselves. */
		k->id = TASK_READ(btf, t, tgid);
		task_comm(btf, k->comm, TASK_READ(btf, t, group_leader));
		break;
	case TASK_KEY_BY_TID:
		k->id = TASK_READ(btf, t, pid);
		task_comm(btf, k->comm, t);
		break;
	case TASK_KEY_BY_CPU:
		k->id = bpf_get_smp_processor_id();
		break;
	case TASK_KEY_BY_CGROUP:
		k->cgroup_id = task_cgroup_id(t, targ_cgroup_hier);
		break;
	case TASK_KEY_BY_COMM:
		task_comm(btf, k->comm, t);
		break;
	}
}

/* Indexes of the per-CPU `counters` array (BpfObject.perCpuCounters reads it). The first
 * ones are every tool's; a tool's own counters start at COUNTER_TOOL_BASE.
 */
enum common_counter {
	COUNTER_RINGBUF_FULL = 0, /* an event over the threshold found the ring buffer full */
	COUNTER_RATE_LIMITED = 1, /* an event over the threshold was over the rate limit */
	COUNTER_EMITTED = 2,	  /* events sent to user space */
	COUNTER_ROWS_FULL = 3,	  /* a value not counted: its row could not be made, the rows map is full */
	COUNTER_TOOL_BASE = 4,
	COUNTER_MAX = 24,
};

const enum common_counter common_counter_btf_anchor __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void counter_inc(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &which);

	if (c)
		(*c)++;
}

/* The histogram of `key` in a per-CPU hash of struct hist, created empty on first use. */
static __always_inline struct hist *hist_of(void *map, const void *key)
{
	static const struct hist zero_hist;
	struct hist *h = bpf_map_lookup_elem(map, key);

	if (h)
		return h;
	bpf_map_update_elem(map, key, &zero_hist, BPF_NOEXIST);
	h = bpf_map_lookup_elem(map, key);
	if (!h)
		counter_inc(COUNTER_ROWS_FULL);
	return h;
}

/* Add one value to the histogram of `key` (this CPU's copy: no atomics). */
static __always_inline void hist_record(void *map, const void *key, __u64 v)
{
	struct hist *h = hist_of(map, key);

	if (h)
		hist_add(h, v);
}

/* Events sent to user space are capped at targ_max_events_per_sec per CPU
 * (0 = no cap); what is over the cap is counted, never silently dropped.
 */
const volatile __u64 targ_max_events_per_sec = 0;

struct rate_window {
	__u64 start_ns;
	__u64 sent;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rate_window);
} rate_windows SEC(".maps");

static __always_inline bool rate_allows(__u64 now)
{
	__u32 zero = 0;
	struct rate_window *w;

	if (!targ_max_events_per_sec)
		return true;
	w = bpf_map_lookup_elem(&rate_windows, &zero);
	if (!w)
		return true;
	if (now - w->start_ns >= 1000000000ULL) {
		w->start_ns = now;
		w->sent = 0;
	}
	if (w->sent >= targ_max_events_per_sec)
		return false;
	w->sent++;
	return true;
}

/* Reserve a ring-buffer record for an event over the threshold, counting every event
 * that could not be sent. Returns NULL when the event is not to be sent.
 */
static __always_inline void *event_reserve(void *ringbuf, __u64 size, __u64 now)
{
	void *e;

	if (!rate_allows(now)) {
		counter_inc(COUNTER_RATE_LIMITED);
		return NULL;
	}
	e = bpf_ringbuf_reserve(ringbuf, size, 0);
	if (!e) {
		counter_inc(COUNTER_RINGBUF_FULL);
		return NULL;
	}
	counter_inc(COUNTER_EMITTED);
	return e;
}

char LICENSE[] SEC("license") = "GPL";

#endif
