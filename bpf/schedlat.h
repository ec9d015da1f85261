/* schedlat: the kernel/user boundary. Fixed-width types, largest first, padding written out. */
#ifndef HUATUO_SCHEDLAT_H
#define HUATUO_SCHEDLAT_H

/* The `hists` map is keyed by struct task_key (common.h), by rodata targ_by (--by). */

/* A wait over --threshold: who waited, where, how long, and who held the CPU. */
struct schedlat_event {
	__u64 lat_ns;
	__u64 ts_ns;	  /* bpf_ktime_get_ns() at switch-in */
	__u64 cgroup_id;  /* of the victim, in the hierarchy of targ_cgroup_hier */
	__u32 pid;	  /* victim thread id */
	__u32 tgid;	  /* victim process id */
	__u32 prev_pid;	  /* the task switched out when the victim got the CPU */
	__u32 prev_tgid;
	__u32 cpu;
	__u32 __pad;
	char comm[16];
	char prev_comm[16];
};

#endif
