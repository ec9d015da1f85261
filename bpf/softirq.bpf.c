// SPDX-License-Identifier: GPL-2.0
/* softirq: per vector (or CPU, or the task it ran on top of), how long each softirq run
 * takes (softirq_entry → softirq_exit) and how long it waited after it was raised
 * (softirq_raise → softirq_entry), and how many runs ksoftirqd made.
 *
 * All state is per CPU: a softirq raised on a CPU runs on that CPU, and runs never nest
 * there, so one slot per CPU holds the run in progress. Nothing is shared across CPUs:
 * no atomics on these hot tracepoints. Each tracepoint has a tp_btf and a raw_tp
 * flavour; user space probes and loads one (src/tools/softirq.ts).
 */
#include "common.h"
#include "softirq.h"

const volatile int targ_by = SOFTIRQ_BY_VECTOR; /* enum task_key_by or enum softirq_by */
const volatile __u32 targ_vectors = 0;		 /* bit per vector to keep; 0: all */
const volatile __u64 targ_threshold_ns = 0;	 /* 0: no events */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 10240);
	__type(key, struct softirq_key);
	__type(value, struct softirq_stats);
} stats SEC(".maps");

/* --by vector, the default, keys on the vector alone: an array indexed by it, so the hot
 * path does no hashing (user space reads it as rows keyed by struct softirq_vector_index).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SOFTIRQ_VECTORS);
	__type(key, __u32);
	__type(value, struct softirq_stats);
} vector_stats SEC(".maps");

/* This CPU's softirq bookkeeping: when each vector was first raised since it last ran,
 * and the run in progress.
 */
struct cpu_softirq {
	__u64 raised_ns[SOFTIRQ_VECTORS];
	__u64 entry_ns;
	__u64 delay_ns;
	__u32 vector;
	__u32 running;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_softirq);
} cpu_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

const struct softirq_event softirq_event_btf_anchor __attribute__((unused));
const enum softirq_by softirq_by_btf_anchor __attribute__((unused));
const struct softirq_stats softirq_stats_btf_anchor __attribute__((unused));
const struct softirq_vector_index softirq_vector_index_btf_anchor __attribute__((unused));

static __always_inline bool vector_kept(__u32 vec)
{
	return vec < SOFTIRQ_VECTORS && (!targ_vectors || (targ_vectors & (1U << vec)));
}

static __always_inline struct cpu_softirq *this_cpu(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cpu_state, &zero);
}

static __always_inline int on_raise(__u32 vec)
{
	struct cpu_softirq *c;

	if (!vector_kept(vec))
		return 0;
	c = this_cpu();
	/* The first raise since the last run: later raises join the same pending run. */
	if (c && !c->raised_ns[vec & (SOFTIRQ_VECTORS - 1)])
		c->raised_ns[vec & (SOFTIRQ_VECTORS - 1)] = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int on_entry(__u32 vec)
{
	struct cpu_softirq *c;
	__u64 now, raised;

	if (!vector_kept(vec))
		return 0;
	c = this_cpu();
	if (!c)
		return 0;
	now = bpf_ktime_get_ns();
	/* The kernel cleared the pending bit before this run: a raise from now on is the next run's. */
	raised = c->raised_ns[vec & (SOFTIRQ_VECTORS - 1)];
	c->raised_ns[vec & (SOFTIRQ_VECTORS - 1)] = 0;
	c->delay_ns = raised && now > raised ? now - raised : 0;
	c->entry_ns = now;
	c->vector = vec;
	c->running = 1;
	return 0;
}

/* ksoftirqd/N: a kernel thread whose comm starts with "ksoftirq" (one 8-byte compare). */
static __always_inline bool in_ksoftirqd(bool btf, struct task_struct *t)
{
	char comm[TASK_COMM_LEN] __attribute__((aligned(8)));

	if (!(TASK_READ(btf, t, flags) & 0x00200000 /* PF_KTHREAD */))
		return false;
	task_comm(btf, comm, t);
	return *(__u64 *)comm == *(const __u64 *)"ksoftirq";
}

static __always_inline void emit(bool btf, struct task_struct *t, __u32 vec, __u64 handler, __u64 delay, bool ksoftirqd, __u64 now)
{
	struct softirq_event *e = event_reserve(&events, sizeof(*e), now);

	if (!e)
		return;
	e->ts_ns = now;
	e->handler_ns = handler;
	e->delay_ns = delay;
	e->cgroup_id = task_cgroup_id(t, targ_cgroup_hier);
	e->pid = TASK_READ(btf, t, pid);
	e->tgid = TASK_READ(btf, t, tgid);
	e->cpu = bpf_get_smp_processor_id();
	e->vector = vec;
	e->ksoftirqd = ksoftirqd;
	e->__pad = 0;
	task_comm(btf, e->comm, t);
	bpf_ringbuf_submit(e, 0);
}

static __always_inline int on_exit(bool btf, __u32 vec)
{
	struct softirq_key key __attribute__((aligned(8))) = {};
	static const struct softirq_stats zero_stats;
	struct softirq_stats *s;
	struct task_struct *t;
	struct cpu_softirq *c;
	__u64 now, handler, delay;
	bool ksoftirqd;

	c = this_cpu();
	/* A run that began before we attached has no entry: skip it. */
	if (!c || !c->running || c->vector != vec)
		return 0;
	c->running = 0;
	now = bpf_ktime_get_ns();
	handler = now - c->entry_ns;
	delay = c->delay_ns;

	t = btf ? bpf_get_current_task_btf() : (struct task_struct *)bpf_get_current_task();
	if (task_filtered_out(btf, t))
		return 0;
	ksoftirqd = in_ksoftirqd(btf, t);

	switch (targ_by) {
	case SOFTIRQ_BY_VECTOR: {
		__u32 index = vec;

		s = bpf_map_lookup_elem(&vector_stats, &index);
		if (!s)
			return 0;
		goto add;
	}
	case SOFTIRQ_BY_VECTOR_CPU:
		key.vector = vec;
		key.cpu = bpf_get_smp_processor_id();
		break;
	default:
		task_key_fill(btf, &key.task, t, targ_by);
	}
	s = bpf_map_lookup_elem(&stats, &key);
	if (!s) {
		bpf_map_update_elem(&stats, &key, &zero_stats, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&stats, &key);
		if (!s) {
			counter_inc(COUNTER_ROWS_FULL);
			return 0;
		}
	}
add:
	hist_add(&s->handler, handler);
	if (delay)
		hist_add(&s->delay, delay);
	if (ksoftirqd)
		s->ksoftirqd++;

	if (targ_threshold_ns && (handler >= targ_threshold_ns || delay >= targ_threshold_ns))
		emit(btf, t, vec, handler, delay, ksoftirqd, now);
	return 0;
}

SEC("tp_btf/softirq_raise")
int BPF_PROG(softirq_raise_btf, unsigned int vec)
{
	return on_raise(vec);
}

SEC("tp_btf/softirq_entry")
int BPF_PROG(softirq_entry_btf, unsigned int vec)
{
	return on_entry(vec);
}

SEC("tp_btf/softirq_exit")
int BPF_PROG(softirq_exit_btf, unsigned int vec)
{
	return on_exit(true, vec);
}

SEC("raw_tp/softirq_raise")
int BPF_PROG(softirq_raise_raw, unsigned int vec)
{
	return on_raise(vec);
}

SEC("raw_tp/softirq_entry")
int BPF_PROG(softirq_entry_raw, unsigned int vec)
{
	return on_entry(vec);
}

SEC("raw_tp/softirq_exit")
int BPF_PROG(softirq_exit_raw, unsigned int vec)
{
	return on_exit(false, vec);
}
