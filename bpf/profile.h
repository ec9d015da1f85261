/* profile: the kernel/user boundary. Fixed-width types, largest first, padding written out. */
#ifndef HUATUO_PROFILE_H
#define HUATUO_PROFILE_H

/* Depth of a stack-map value: the kernel's PERF_MAX_STACK_DEPTH (the default of
 * sysctl kernel.perf_event_max_stack, which caps it) — a macro, so not in vmlinux.h.
 */
#define PROFILE_MAX_STACK_DEPTH 127

/* Words of the user stack copied from the user stack pointer for each new row, for user
 * space to recover the callers of frameless functions (src/symbolize/frameless.ts):
 * 256 bytes hold a libc wrapper's frame or two (clock_nanosleep's is 48).
 */
#define PROFILE_TOP_WORDS 32

/* Other negative stack ids are bpf_get_stackid()'s -errno (-EFAULT, -EEXIST, -ENOMEM),
 * which never equal PROFILE_STACK_SKIPPED (-1, below).
 */

/* Key of the `counts` map: one row per thread, comm, cgroup and stack pair, and per
 * kind the fields that part what the kind measures. The value is the row's weight:
 * samples (on-CPU), nanoseconds (off-CPU, lock), faults (page faults).
 */
struct profile_key {
	__u64 cgroup_id;	/* in the hierarchy of targ_cgroup_hier */
	__u64 lock_addr;	/* lock: the contended lock's address; else 0 */
	__u32 tgid;
	__u32 pid;		/* thread id */
	__s32 kern_stack_id;	/* id in `stacks`, or < 0 (see above) */
	__s32 user_stack_id;
	__u32 lock_flags;	/* lock: contention_begin's LCB_F_* flags; else 0 */
	__u32 runqueue;		/* off-CPU: 1 for time runnable, waiting for a CPU; else 0 */
	__u32 slot;		/* with targ_slot_ns: the time slot (ktime / targ_slot_ns) the row counts; else 0 */
	__u32 pad;
	char comm[16];
};

/* The user stack at the row's first event: its stack pointer and the words above it. */
struct profile_user_top {
	__u64 sp;
	__u64 words[PROFILE_TOP_WORDS];
};

/* Indexes in common.h's per-CPU `counters` array, after its generic ones: events that
 * lost something, by cause. An enum, so user space reads the values from the BTF.
 */
enum profile_err {
	PROFILE_ERR_KERN_COLLISION = 4, /* -EEXIST: another stack holds the hash bucket (4: COUNTER_TOOL_BASE) */
	PROFILE_ERR_KERN_MISSING = 5,	/* -EFAULT: no stack (kernel: sample in user mode) */
	PROFILE_ERR_KERN_MAP_FULL = 6,	/* -ENOMEM: `stacks` is full (--stack-storage-size) */
	PROFILE_ERR_KERN_OTHER = 7,
	PROFILE_ERR_USER_COLLISION = 8,
	PROFILE_ERR_USER_MISSING = 9, /* kernel threads, and tasks that cannot be unwound */
	PROFILE_ERR_USER_MAP_FULL = 10,
	PROFILE_ERR_USER_OTHER = 11,
	PROFILE_ERR_COUNTS_FULL = 12, /* the event was not counted: `counts` is full (or busy) */
	PROFILE_ERR_PIDS_FULL = 13,   /* a new process was not recorded in `pids` */
	PROFILE_ERR_STARTS_FULL = 14, /* off-CPU, lock: a wait not timed: `starts` is full */
	PROFILE_ERR_TOP_MISSING = 15, /* a new row's user stack top could not be copied */
	PROFILE_ERR_LOCK_NESTED = 16, /* lock: a contention inside another one, timed as part of the outer */
	PROFILE_ERR_SHORT_NS = 17,    /* off-CPU: not an event count: the ns of blocks under targ_min_block_ns */
	PROFILE_ERR_MAX = 18,
};

/* A stack id not taken because of -U (kernel) or -K (user); see above. A macro: BTF
 * encoders before clang 15 cannot tell a negative enumerator from a large one.
 */
#define PROFILE_STACK_SKIPPED (-1)

/* --state: which sleeping states off-CPU time is taken for. */
enum profile_offcpu_state {
	PROFILE_STATE_ANY = 0,	/* any state but running */
	PROFILE_STATE_D = 1,	/* TASK_UNINTERRUPTIBLE, not TASK_NOLOAD (what the load average counts) */
	PROFILE_STATE_S = 2,	/* TASK_INTERRUPTIBLE */
};

#endif
