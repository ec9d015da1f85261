/* profile: the kernel/user boundary. Fixed-width types, largest first, padding written out. */
#ifndef HUATUO_PROFILE_H
#define HUATUO_PROFILE_H

/* Depth of a stack-map value: the kernel's PERF_MAX_STACK_DEPTH (the default of
 * sysctl kernel.perf_event_max_stack, which caps it) — a macro, so not in vmlinux.h.
 */
#define PROFILE_MAX_STACK_DEPTH 127

/* A stack id not taken because of -U (kernel) or -K (user). Other negative ids are
 * bpf_get_stackid()'s -errno (-EFAULT, -EEXIST, -ENOMEM), which never equals -1.
 */
#define PROFILE_STACK_SKIPPED (-1)

/* Key of the `counts` map: one row per thread, comm, cgroup and stack pair. */
struct profile_key {
	__u64 cgroup_id;	/* in the hierarchy of targ_cgroup_hier */
	__u32 tgid;
	__u32 pid;		/* thread id */
	__s32 kern_stack_id;	/* id in `stacks`, or < 0 (see above) */
	__s32 user_stack_id;
	char comm[16];
};

/* Indexes in common.h's per-CPU `counters` array (after its generic ones, from
 * COUNTER_TOOL_BASE 4): samples that lost something, by cause. Plain numbers, so that
 * test/integration/profile-sampler.test.ts can compare them with src/tools/profile.ts.
 */
#define PROFILE_ERR_KERN_COLLISION 4 /* -EEXIST: another stack holds the hash bucket */
#define PROFILE_ERR_KERN_MISSING 5   /* -EFAULT: no stack (kernel: sample in user mode) */
#define PROFILE_ERR_KERN_MAP_FULL 6  /* -ENOMEM: `stacks` is full (--stack-storage-size) */
#define PROFILE_ERR_KERN_OTHER 7
#define PROFILE_ERR_USER_COLLISION 8
#define PROFILE_ERR_USER_MISSING 9   /* kernel threads, and tasks that cannot be unwound */
#define PROFILE_ERR_USER_MAP_FULL 10
#define PROFILE_ERR_USER_OTHER 11
#define PROFILE_ERR_COUNTS_FULL 12   /* the sample was not counted: `counts` is full (or busy) */
#define PROFILE_ERR_PIDS_FULL 13     /* a new process was not recorded in `pids` */
#define PROFILE_ERR_MAX 14

#endif
