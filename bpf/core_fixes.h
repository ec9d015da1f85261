/* Field renames across kernel versions, kept in one place.
 * Each shim names the kernel commit it tracks so it can be dropped one day.
 */
#ifndef HUATUO_CORE_FIXES_H
#define HUATUO_CORE_FIXES_H

#include <bpf/bpf_core_read.h>

/* 2f064a59a11f ("sched: Change task_struct::state", v5.14) renamed state to __state. */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline long task_state(bool btf, struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return btf ? t->__state : BPF_CORE_READ(t, __state);
	struct task_struct___pre514 *old = (void *)t;

	return btf ? old->state : BPF_CORE_READ(old, state);
}

/* "bpf, cgroups: Fix cgroup v2 fallback on v1/v2 mixed mode" (v5.15) made sock_cgroup_data a plain
 * { cgroup, classid, prioidx }. Before, it was a u64 `val`: a cgroup pointer, or (bit 0
 * set) net_cls/net_prio data in place of it, when those v1 controllers were in use.
 */
struct sock_cgroup_data___pre515 {
	__u64 val;
} __attribute__((preserve_access_index));

struct sock___pre515 {
	struct sock_cgroup_data___pre515 sk_cgrp_data;
} __attribute__((preserve_access_index));

static __always_inline struct cgroup *sock_cgroup(struct sock *sk)
{
	struct sock_cgroup_data *d = &sk->sk_cgrp_data;

	if (bpf_core_field_exists(d->cgroup))
		return BPF_CORE_READ(sk, sk_cgrp_data.cgroup);
	__u64 v = BPF_CORE_READ((struct sock___pre515 *)sk, sk_cgrp_data.val);

	/* Bit 0: net_cls/net_prio data in place of the pointer; bit 1: no_refcnt. */
	return (v & 3) ? NULL : (struct cgroup *)(v & ~3ULL);
}

#endif
