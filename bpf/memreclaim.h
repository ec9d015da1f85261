/* memreclaim: the kernel/user boundary. Fixed-width types, largest first, padding written out. */
#ifndef HUATUO_MEMRECLAIM_H
#define HUATUO_MEMRECLAIM_H

/* Frames kept per stack of a slow stall (kernel and user each). */
#define MEMRECLAIM_STACK_DEPTH 48

/* What a stall was: which begin/end pair (or single event) timed it. */
enum memreclaim_kind {
	MEMRECLAIM_DIRECT = 0,	  /* mm_vmscan_direct_reclaim_begin/end: the node is short of free pages */
	MEMRECLAIM_MEMCG = 1,	  /* mm_vmscan_memcg_reclaim_begin/end: a cgroup at its limit */
	MEMRECLAIM_SOFTLIMIT = 2, /* mm_vmscan_memcg_softlimit_reclaim_begin/end (cgroup v1) */
	MEMRECLAIM_THROTTLED = 3, /* mm_vmscan_throttled (5.16+): slept in reclaim_throttle() */
	MEMRECLAIM_COMPACTION = 4, /* mm_compaction_begin/end: compact_zone() in the task's context */
	MEMRECLAIM_KINDS = 5,
};

/* Key of the `stalls` map: the task part (common.h, by targ_by), the kind, and the
 * allocation's order and GFP flags (user space merges them into a row and names the
 * ones seen most).
 */
struct memreclaim_key {
	struct task_key task;
	__u64 gfp;	/* gfp_t of the allocation (throttled: the throttle reason) */
	__u32 kind;	/* enum memreclaim_kind */
	__s32 order;	/* allocation order, -1 when the event does not say */
};

/* Value of the `stalls` map (per CPU): the stall-time histogram and pages reclaimed. */
struct memreclaim_stats {
	struct hist stall;
	__u64 pages;
};

/* A stall at or over --threshold, with the stalled task's stacks. */
struct memreclaim_event {
	__u64 ts_ns;
	__u64 stall_ns;
	__u64 pages;
	__u64 gfp;
	__u64 cgroup_id;	/* of the task, in targ_cgroup_hier */
	__u32 pid;
	__u32 tgid;
	__u32 kind;
	__s32 order;
	__s32 kstack_len;	/* frames in kstack, or bpf_get_stack's -errno */
	__s32 ustack_len;
	char comm[16];
	__u64 kstack[MEMRECLAIM_STACK_DEPTH];
	__u64 ustack[MEMRECLAIM_STACK_DEPTH];
};

#endif
