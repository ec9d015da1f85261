/* softirq: the kernel/user boundary. Fixed-width types, largest first, padding written out. */
#ifndef HUATUO_SOFTIRQ_H
#define HUATUO_SOFTIRQ_H

/* Vectors the kernel has had since 2.6.x (enum softirq names in vmlinux.h, NR_SOFTIRQS
 * is 10 on every kernel from 5.10 on). A bound for the per-CPU raise timestamps.
 */
#define SOFTIRQ_VECTORS 16

/* What rows are keyed by (rodata targ_by): the task keys of common.h, or these. */
enum softirq_by {
	SOFTIRQ_BY_VECTOR = 8, /* TASK_KEY_BY_TOOL */
	SOFTIRQ_BY_VECTOR_CPU = 9,
};

/* Key of the `stats` map. vector and cpu are set when the key uses them; the task part
 * (common.h) is the task the softirq ran on top of, for the task keys.
 */
struct softirq_key {
	struct task_key task;
	__u32 vector;
	__u32 cpu;
};

/* Key of the `vector_stats` array (--by vector): the vector's index. */
struct softirq_vector_index {
	__u32 vector;
};

/* Value of the `stats` map and of the `vector_stats` array (per CPU): handler time (entry→exit), delay (raise→entry,
 * runs whose raise was seen), and how many runs happened in ksoftirqd.
 */
struct softirq_stats {
	struct hist handler;
	struct hist delay;
	__u64 ksoftirqd;
};

/* A run whose handler time or delay was at or over --threshold. */
struct softirq_event {
	__u64 ts_ns;	  /* bpf_ktime_get_ns() at exit */
	__u64 handler_ns;
	__u64 delay_ns;	  /* 0: its raise was not seen */
	__u64 cgroup_id;  /* of the task it ran on top of, in targ_cgroup_hier */
	__u32 pid;	  /* that task's thread id (ksoftirqd's own for runs in ksoftirqd) */
	__u32 tgid;
	__u32 cpu;
	__u32 vector;
	__u32 ksoftirqd;  /* 1: ran in ksoftirqd, 0: inline (irq exit or bottom-half enable) */
	__u32 __pad;
	char comm[16];
};

#endif
