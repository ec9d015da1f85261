// SPDX-License-Identifier: GPL-2.0
/* memreclaim: how long tasks stall in memory reclaim, per kind (direct, memcg, memcg soft
 * limit, throttled, compaction), per key (the task's cgroup by default), with the pages
 * reclaimed, and each stall over a threshold with the task's kernel and user stacks.
 *
 * Begin/end pairs run in the allocating task's context: the begin stores the time, order
 * and GFP flags per thread, the end takes the stall. mm_vmscan_throttled fires once, after
 * the sleep, with its length. Each kind is attached only where the kernel has its
 * tracepoints (user space probes them); each program has a tp_btf and a raw_tp flavour.
 */
#include "common.h"
#include "memreclaim.h"

const volatile int targ_by = TASK_KEY_BY_CGROUP; /* enum task_key_by */
const volatile __u64 targ_threshold_ns = 0;	  /* 0: no events */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 10240);
	__type(key, struct memreclaim_key);
	__type(value, struct memreclaim_stats);
} stalls SEC(".maps");

/* A stall in progress, per thread. */
struct stall_start {
	__u64 ts_ns;
	__u64 gfp;
	__u32 kind;
	__s32 order;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct stall_start);
} started SEC(".maps");

/* Order and GFP flags of a direct compaction, from try_to_compact_pages, for its zones
 * (LRU: nothing deletes them, the oldest threads' go first).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct stall_start);
} compact_alloc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 512 * 1024);
} events SEC(".maps");

const struct memreclaim_event memreclaim_event_btf_anchor __attribute__((unused));
const struct memreclaim_stats memreclaim_stats_btf_anchor __attribute__((unused));
const enum memreclaim_kind memreclaim_kind_btf_anchor __attribute__((unused));

static __always_inline struct task_struct *current_task(bool btf)
{
	return btf ? bpf_get_current_task_btf() : (struct task_struct *)bpf_get_current_task();
}

static __always_inline int stall_begin(bool btf, __u32 kind, int order, __u64 gfp)
{
	struct stall_start s = { .ts_ns = bpf_ktime_get_ns(), .gfp = gfp, .kind = kind, .order = order };
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (task_filtered_out(btf, current_task(btf)))
		return 0;
	bpf_map_update_elem(&started, &tid, &s, BPF_ANY);
	return 0;
}

static __always_inline void record(void *ctx, bool btf, __u32 kind, int order, __u64 gfp, __u64 stall, __u64 pages)
{
	struct memreclaim_key key __attribute__((aligned(8))) = {};
	static const struct memreclaim_stats zero_stats;
	struct task_struct *t = current_task(btf);
	struct memreclaim_stats *s;
	struct memreclaim_event *e;
	__u64 now;

	task_key_fill(btf, &key.task, t, targ_by);
	key.gfp = gfp;
	key.kind = kind;
	key.order = order;
	s = bpf_map_lookup_elem(&stalls, &key);
	if (!s) {
		bpf_map_update_elem(&stalls, &key, &zero_stats, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&stalls, &key);
		if (!s) {
			counter_inc(COUNTER_ROWS_FULL);
			return;
		}
	}
	hist_add(&s->stall, stall);
	s->pages += pages;

	if (!targ_threshold_ns || stall < targ_threshold_ns)
		return;
	now = bpf_ktime_get_ns();
	e = event_reserve(&events, sizeof(*e), now);
	if (!e)
		return;
	e->ts_ns = now;
	e->stall_ns = stall;
	e->pages = pages;
	e->gfp = gfp;
	e->cgroup_id = task_cgroup_id(t, targ_cgroup_hier);
	e->pid = TASK_READ(btf, t, pid);
	e->tgid = TASK_READ(btf, t, tgid);
	e->kind = kind;
	e->order = order;
	task_comm(btf, e->comm, t);
	e->kstack_len = bpf_get_stack(ctx, e->kstack, sizeof(e->kstack), 0);
	e->ustack_len = bpf_get_stack(ctx, e->ustack, sizeof(e->ustack), BPF_F_USER_STACK);
	if (e->kstack_len > 0)
		e->kstack_len /= sizeof(__u64);
	if (e->ustack_len > 0)
		e->ustack_len /= sizeof(__u64);
	bpf_ringbuf_submit(e, 0);
}

static __always_inline int stall_end(void *ctx, bool btf, __u32 kind, __u64 pages)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct stall_start *s = bpf_map_lookup_elem(&started, &tid);
	__u64 now = bpf_ktime_get_ns();

	/* A stall that began before we attached (or another kind's: they do not nest) is skipped. */
	if (!s)
		return 0;
	if (s->kind == kind && now > s->ts_ns)
		record(ctx, btf, kind, s->order, s->gfp, now - s->ts_ns, pages);
	bpf_map_delete_elem(&started, &tid);
	return 0;
}

/* --- tp_btf ---------------------------------------------------------------- */

SEC("tp_btf/mm_vmscan_direct_reclaim_begin")
int BPF_PROG(memreclaim_direct_begin_btf, int order, gfp_t gfp)
{
	return stall_begin(true, MEMRECLAIM_DIRECT, order, gfp);
}

SEC("tp_btf/mm_vmscan_direct_reclaim_end")
int BPF_PROG(memreclaim_direct_end_btf, unsigned long nr_reclaimed)
{
	return stall_end(ctx, true, MEMRECLAIM_DIRECT, nr_reclaimed);
}

SEC("tp_btf/mm_vmscan_memcg_reclaim_begin")
int BPF_PROG(memreclaim_memcg_begin_btf, int order, gfp_t gfp)
{
	return stall_begin(true, MEMRECLAIM_MEMCG, order, gfp);
}

SEC("tp_btf/mm_vmscan_memcg_reclaim_end")
int BPF_PROG(memreclaim_memcg_end_btf, unsigned long nr_reclaimed)
{
	return stall_end(ctx, true, MEMRECLAIM_MEMCG, nr_reclaimed);
}

SEC("tp_btf/mm_vmscan_memcg_softlimit_reclaim_begin")
int BPF_PROG(memreclaim_softlimit_begin_btf, int order, gfp_t gfp)
{
	return stall_begin(true, MEMRECLAIM_SOFTLIMIT, order, gfp);
}

SEC("tp_btf/mm_vmscan_memcg_softlimit_reclaim_end")
int BPF_PROG(memreclaim_softlimit_end_btf, unsigned long nr_reclaimed)
{
	return stall_end(ctx, true, MEMRECLAIM_SOFTLIMIT, nr_reclaimed);
}

/* A throttled stall is reported whole (its delay), at its end: no begin to pair. */
static __always_inline int throttled(void *ctx, bool btf, int usec_delayed, int reason)
{
	if (task_filtered_out(btf, current_task(btf)) || usec_delayed <= 0)
		return 0;
	record(ctx, btf, MEMRECLAIM_THROTTLED, -1, reason, (__u64)usec_delayed * 1000, 0);
	return 0;
}

/* The order and flags of the allocation that compacts: compaction_begin has neither. */
static __always_inline int compact_alloc_seen(int order, gfp_t gfp)
{
	struct stall_start s = { .gfp = gfp, .kind = MEMRECLAIM_COMPACTION, .order = order };
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	bpf_map_update_elem(&compact_alloc, &tid, &s, BPF_ANY);
	return 0;
}

SEC("tp_btf/mm_vmscan_throttled")
int BPF_PROG(memreclaim_throttled_btf, int nid, int usec_timeout, int usec_delayed, int reason)
{
	return throttled(ctx, true, usec_delayed, reason);
}

SEC("tp_btf/mm_compaction_try_to_compact_pages")
int BPF_PROG(memreclaim_compact_alloc_btf, int order, gfp_t gfp)
{
	return compact_alloc_seen(order, gfp);
}

static __always_inline int compaction_begin(bool btf)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct stall_start *a = bpf_map_lookup_elem(&compact_alloc, &tid);

	/* kcompactd and proactive compaction have no allocation: order -1, no flags. */
	return stall_begin(btf, MEMRECLAIM_COMPACTION, a ? a->order : -1, a ? a->gfp : 0);
}

/* One allocation may compact several zones: its order stays for each of them (until the
 * thread's next try_to_compact_pages overwrites it).
 */
static __always_inline int compaction_end(void *ctx, bool btf)
{
	return stall_end(ctx, btf, MEMRECLAIM_COMPACTION, 0);
}

SEC("tp_btf/mm_compaction_begin")
int BPF_PROG(memreclaim_compaction_begin_btf)
{
	return compaction_begin(true);
}

SEC("tp_btf/mm_compaction_end")
int BPF_PROG(memreclaim_compaction_end_btf)
{
	return compaction_end(ctx, true);
}

/* A thread that exits with a stall open (one that began before we attached and whose end
 * we missed, say) takes its entries along: its tid may be reused.
 */
static __always_inline int thread_exit(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	bpf_map_delete_elem(&started, &tid);
	bpf_map_delete_elem(&compact_alloc, &tid);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(memreclaim_exit_btf)
{
	return thread_exit();
}

/* --- raw_tp ---------------------------------------------------------------- */

SEC("raw_tp/sched_process_exit")
int BPF_PROG(memreclaim_exit_raw)
{
	return thread_exit();
}

SEC("raw_tp/mm_vmscan_direct_reclaim_begin")
int BPF_PROG(memreclaim_direct_begin_raw, int order, gfp_t gfp)
{
	return stall_begin(false, MEMRECLAIM_DIRECT, order, gfp);
}

SEC("raw_tp/mm_vmscan_direct_reclaim_end")
int BPF_PROG(memreclaim_direct_end_raw, unsigned long nr_reclaimed)
{
	return stall_end(ctx, false, MEMRECLAIM_DIRECT, nr_reclaimed);
}

SEC("raw_tp/mm_vmscan_memcg_reclaim_begin")
int BPF_PROG(memreclaim_memcg_begin_raw, int order, gfp_t gfp)
{
	return stall_begin(false, MEMRECLAIM_MEMCG, order, gfp);
}

SEC("raw_tp/mm_vmscan_memcg_reclaim_end")
int BPF_PROG(memreclaim_memcg_end_raw, unsigned long nr_reclaimed)
{
	return stall_end(ctx, false, MEMRECLAIM_MEMCG, nr_reclaimed);
}

SEC("raw_tp/mm_vmscan_memcg_softlimit_reclaim_begin")
int BPF_PROG(memreclaim_softlimit_begin_raw, int order, gfp_t gfp)
{
	return stall_begin(false, MEMRECLAIM_SOFTLIMIT, order, gfp);
}

SEC("raw_tp/mm_vmscan_memcg_softlimit_reclaim_end")
int BPF_PROG(memreclaim_softlimit_end_raw, unsigned long nr_reclaimed)
{
	return stall_end(ctx, false, MEMRECLAIM_SOFTLIMIT, nr_reclaimed);
}

SEC("raw_tp/mm_vmscan_throttled")
int BPF_PROG(memreclaim_throttled_raw, int nid, int usec_timeout, int usec_delayed, int reason)
{
	return throttled(ctx, false, usec_delayed, reason);
}

SEC("raw_tp/mm_compaction_try_to_compact_pages")
int BPF_PROG(memreclaim_compact_alloc_raw, int order, gfp_t gfp)
{
	return compact_alloc_seen(order, gfp);
}

SEC("raw_tp/mm_compaction_begin")
int BPF_PROG(memreclaim_compaction_begin_raw)
{
	return compaction_begin(false);
}

SEC("raw_tp/mm_compaction_end")
int BPF_PROG(memreclaim_compaction_end_raw)
{
	return compaction_end(ctx, false);
}
