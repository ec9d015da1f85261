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

#endif
