// SPDX-License-Identifier: GPL-2.0
/* profile: CPU sampling with kernel and user stacks (libbpf-tools' profile).
 *
 * User space opens one perf event per online CPU (cpu-clock, or cycles where there is
 * a PMU) and attaches profile_sample to each. Every sample of a task the filter keeps
 * takes its kernel and user stack ids and adds one to its row of `counts`; user space
 * reads `counts` and resolves the ids in `stacks`. Nothing is sent per sample.
 */
#include "common.h"
#include "profile.h"

/* errno values are macros, not in vmlinux.h. */
#define EFAULT 14
#define EEXIST 17
#define ENOMEM 12

const volatile bool targ_include_idle = false;
const volatile bool targ_user_only = false;   /* -U: no kernel stacks */
const volatile bool targ_kernel_only = false; /* -K: no user stacks */

/* max_entries from --stack-storage-size (user space). */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, PROFILE_MAX_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

/* A plain hash, not a per-CPU one: the key holds the thread id and a thread runs on
 * one CPU at a time, so the atomic add below is all but uncontended, while a per-CPU
 * hash would multiply the map's memory and every read by the number of CPUs.
 * Preallocated (the default), as programs that may run in NMI context need.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct profile_key);
	__type(value, __u64);
} counts SEC(".maps");

/* Processes sampled so far (tgid → 1), for user space to snapshot their maps early.
 * LRU: a long run through many short-lived processes never fills it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u8);
} pids SEC(".maps");

/* Failures are counted in common.h's per-CPU `counters`, at the PROFILE_ERR_* indexes. */
_Static_assert(PROFILE_ERR_MAX <= COUNTER_MAX, "PROFILE_ERR_* must fit in counters");
_Static_assert(PROFILE_ERR_KERN_COLLISION == COUNTER_TOOL_BASE, "PROFILE_ERR_* start at COUNTER_TOOL_BASE");
const enum profile_err profile_err_btf_anchor __attribute__((unused));

/* A stack id, counting every failure by cause; base is the first index of the KERN or USER group. */
static __always_inline __s32 stack_id(struct bpf_perf_event_data *ctx, __u64 flags, __u32 base)
{
	long id = bpf_get_stackid(ctx, &stacks, flags);

	if (id >= 0)
		return id;
	if (id == -EEXIST)
		counter_inc(base + PROFILE_ERR_KERN_COLLISION - PROFILE_ERR_KERN_COLLISION);
	else if (id == -EFAULT)
		counter_inc(base + PROFILE_ERR_KERN_MISSING - PROFILE_ERR_KERN_COLLISION);
	else if (id == -ENOMEM)
		counter_inc(base + PROFILE_ERR_KERN_MAP_FULL - PROFILE_ERR_KERN_COLLISION);
	else
		counter_inc(base + PROFILE_ERR_KERN_OTHER - PROFILE_ERR_KERN_COLLISION);
	return id;
}

SEC("perf_event")
int profile_sample(struct bpf_perf_event_data *ctx)
{
	/* The sampled task is the one running here, so `current` is right for once. */
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct profile_key key __attribute__((aligned(8))) = {};
	__u64 id = bpf_get_current_pid_tgid(), one = 1, *val;
	__u8 seen = 1;
	long err;

	key.pid = (__u32)id;
	key.tgid = id >> 32;
	if (key.pid == 0 && !targ_include_idle)
		return 0;
	if (task_filtered_out(false, task))
		return 0;

	key.cgroup_id = task_cgroup_id(task, targ_cgroup_hier);
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	key.kern_stack_id = targ_user_only ? PROFILE_STACK_SKIPPED : stack_id(ctx, 0, PROFILE_ERR_KERN_COLLISION);
	key.user_stack_id = targ_kernel_only ? PROFILE_STACK_SKIPPED
					     : stack_id(ctx, BPF_F_USER_STACK, PROFILE_ERR_USER_COLLISION);

	val = bpf_map_lookup_elem(&counts, &key);
	if (val) {
		__sync_fetch_and_add(val, 1);
		return 0;
	}
	err = bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
	if (err == -EEXIST) { /* another CPU made the row first (a thread that migrated) */
		val = bpf_map_lookup_elem(&counts, &key);
		if (val)
			__sync_fetch_and_add(val, 1);
		return 0;
	}
	if (err) { /* -E2BIG: full; -EBUSY, rarely: the bucket is locked under this NMI */
		counter_inc(PROFILE_ERR_COUNTS_FULL);
		return 0;
	}
	/* A new row: the only way a new process shows up, so `pids` is touched only here. */
	err = bpf_map_update_elem(&pids, &key.tgid, &seen, BPF_NOEXIST);
	if (err && err != -EEXIST)
		counter_inc(PROFILE_ERR_PIDS_FULL);
	return 0;
}
