// SPDX-License-Identifier: GPL-2.0
/* schedlat: run-queue latency, the time a runnable task waits for a CPU.
 *
 * Two ways to measure, chosen by user space with autoload (src/tools/schedlat.ts):
 *  - wakeup (default): runqlat's pair. sched_wakeup/sched_wakeup_new (and sched_switch
 *    for a preempted prev) store bpf_ktime_get_ns() per thread; sched_switch takes the delta.
 *  - sched_info: one program on sched_switch reads the timestamp the scheduler itself
 *    keeps when a task is queued (task_struct.sched_info.last_queued, CONFIG_SCHED_INFO)
 *    against the runqueue clock it was taken from. Cheaper, but a wait ended by a wakeup
 *    preemption reads 0 (docs/schedlat.md).
 * Each has a tp_btf and a raw_tp flavour; user space probes and loads one.
 */
#include "common.h"
#include "schedlat.h"

const volatile int targ_by = TASK_KEY_BY_COMM; /* enum task_key_by */
const volatile __u64 targ_threshold_ns = 0; /* 0: no slow events */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 10240);
	__type(key, struct task_key);
	__type(value, struct hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} queued_at SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* Anchors the boundary struct in the object's BTF for user space to decode with. */
const struct schedlat_event schedlat_event_btf_anchor __attribute__((unused));

static __always_inline void record(bool btf, struct task_struct *prev, struct task_struct *next, __u64 lat_ns)
{
	struct task_key key __attribute__((aligned(8))) = {};
	struct schedlat_event *e;

	task_key_fill(btf, &key, next, targ_by);
	hist_record(&hists, &key, lat_ns);

	if (!targ_threshold_ns || lat_ns < targ_threshold_ns)
		return;
	__u64 now = bpf_ktime_get_ns();
	e = event_reserve(&events, sizeof(*e), now);
	if (!e)
		return;
	e->lat_ns = lat_ns;
	e->ts_ns = now;
	e->cgroup_id = task_cgroup_id(next, targ_cgroup_hier);
	e->pid = TASK_READ(btf, next, pid);
	e->tgid = TASK_READ(btf, next, tgid);
	e->prev_pid = TASK_READ(btf, prev, pid);
	e->prev_tgid = TASK_READ(btf, prev, tgid);
	e->cpu = bpf_get_smp_processor_id();
	e->__pad = 0;
	task_comm(btf, e->comm, next);
	task_comm(btf, e->prev_comm, prev);
	bpf_ringbuf_submit(e, 0);
}

/* --- sched_info method ---------------------------------------------------- */

static __always_inline int switch_sched_info(bool btf, struct task_struct *prev, struct task_struct *next)
{
	__u64 queued, now;
	struct rq *rq;

	if (!bpf_core_field_exists(next->sched_info) || !bpf_core_field_exists(struct cfs_rq, rq))
		return 0;
	/* The tracepoint fires before sched_info_arrive() consumes and clears it. */
	queued = BPF_CORE_READ(next, sched_info.last_queued);
	if (!queued)
		return 0;
	if (task_filtered_out(btf, next))
		return 0;
	/* next runs on this CPU, so its cfs_rq (set for every sched class) is this CPU's. */
	rq = BPF_CORE_READ(next, se.cfs_rq, rq);
	now = BPF_CORE_READ(rq, clock);
	/* After a wakeup preemption the scheduler skips the clock update
	 * (rq_clock_skip_update), so the rq clock still reads the enqueue time:
	 * the kernel's own accounting sees 0 there, and so do we.
	 */
	record(btf, prev, next, now > queued ? now - queued : 0);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(schedlat_si_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return switch_sched_info(true, prev, next);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(schedlat_si_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return switch_sched_info(false, prev, next);
}

/* --- wakeup method --------------------------------------------------------- */

static __always_inline void mark_queued(bool btf, struct task_struct *t)
{
	__u32 tid;
	__u64 ts;

	if (task_filtered_out(btf, t))
		return;
	tid = TASK_READ(btf, t, pid);
	if (!tid)
		return;
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&queued_at, &tid, &ts, BPF_ANY);
}

static __always_inline int switch_wakeup(bool btf, struct task_struct *prev, struct task_struct *next)
{
	__u32 tid;
	__u64 *tsp, now;

	/* A prev still runnable (TASK_RUNNING == 0) was preempted: it waits from now. */
	if (task_state(btf, prev) == 0)
		mark_queued(btf, prev);
	tid = TASK_READ(btf, next, pid);
	tsp = bpf_map_lookup_elem(&queued_at, &tid);
	if (!tsp)
		return 0;
	now = bpf_ktime_get_ns();
	if (now > *tsp)
		record(btf, prev, next, now - *tsp);
	bpf_map_delete_elem(&queued_at, &tid);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(schedlat_wakeup_btf, struct task_struct *p)
{
	mark_queued(true, p);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(schedlat_wakeup_new_btf, struct task_struct *p)
{
	mark_queued(true, p);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(schedlat_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return switch_wakeup(true, prev, next);
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(schedlat_wakeup_raw, struct task_struct *p)
{
	mark_queued(false, p);
	return 0;
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(schedlat_wakeup_new_raw, struct task_struct *p)
{
	mark_queued(false, p);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(schedlat_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return switch_wakeup(false, prev, next);
}
