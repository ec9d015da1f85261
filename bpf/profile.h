/* profile: the kernel/user boundary. Fixed-width types, largest first, padding written out. */
#ifndef HUATUO_PROFILE_H
#define HUATUO_PROFILE_H

/* Depth of a stack-map value: the kernel's PERF_MAX_STACK_DEPTH (the default of
 * sysctl kernel.perf_event_max_stack, which caps it) — a macro, so not in vmlinux.h.
 */
#define PROFILE_MAX_STACK_DEPTH 127

/* Other negative stack ids are bpf_get_stackid()'s -errno (-EFAULT, -EEXIST, -ENOMEM),
 * which never equal PROFILE_STACK_SKIPPED (-1, below).
 */

/* Key of the `counts` map: one row per thread, comm, cgroup and stack pair. */
struct profile_key {
	__u64 cgroup_id;	/* in the hierarchy of targ_cgroup_hier */
	__u32 tgid;
	__u32 pid;		/* thread id */
	__s32 kern_stack_id;	/* id in `stacks`, or < 0 (see above) */
	__s32 user_stack_id;
	char comm[16];
};

/* Indexes in common.h's per-CPU `counters` array, after its generic ones: samples that
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
	PROFILE_ERR_COUNTS_FULL = 12, /* the sample was not counted: `counts` is full (or busy) */
	PROFILE_ERR_PIDS_FULL = 13,   /* a new process was not recorded in `pids` */
	PROFILE_ERR_MAX = 14,
};

/* A stack id not taken because of -U (kernel) or -K (user); see above. A macro: BTF
 * encoders before clang 15 cannot tell a negative enumerator from a large one.
 */
#define PROFILE_STACK_SKIPPED (-1)

#endif
