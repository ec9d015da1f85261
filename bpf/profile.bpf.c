// SPDX-License-Identifier: GPL-2.0
/* profile: stacks weighted by what they cost, one kind per run (libbpf-tools' profile,
 * offcputime, and perf lock contention, in one object; user space selects the programs).
 *
 *   on-CPU       profile_sample on one perf event per CPU: +1 per sample.
 *   off-CPU      sched_switch: at switch-out the leaving task's stacks and time are kept
 *                in `starts`; sched_wakeup marks when it became runnable; at switch-in
 *                the blocked time (switch-out → wakeup) is added to its row, and with
 *                targ_include_runqueue the time runnable but not running to a row of its own.
 *   lock         lock:contention_begin/end (5.19+): the time between them, per stack and lock.
 *   page faults  exceptions:page_fault_user (and _kernel): +1 per fault.
 *
 * Every kind adds to `counts`, keyed by thread, stacks and the kind's own fields; user
 * space reads `counts` and resolves the ids in `stacks`. Nothing is sent per event. The
 * tracepoint programs come as tp_btf and raw_tp flavours (the same body).
 */
#include "common.h"
#include "profile.h"
#include "core_fixes.h"

/* errno values are macros, not in vmlinux.h. */
#define EFAULT 14
#define EEXIST 17
#define ENOMEM 12

/* include/linux/sched.h: task states (macros, not in vmlinux.h). */
#define TASK_RUNNING 0x0
#define TASK_INTERRUPTIBLE 0x1
#define TASK_UNINTERRUPTIBLE 0x2
#define TASK_DEAD 0x80
#define TASK_NOLOAD 0x400

const volatile bool targ_include_idle = false;
const volatile bool targ_user_only = false;   /* -U: no kernel stacks */
const volatile bool targ_kernel_only = false; /* -K: no user stacks */
const volatile bool targ_user_tops = true;    /* copy a new row's user stack top (frame recovery) */
/* off-CPU */
const volatile __u64 targ_min_block_ns = 0;
const volatile __u32 targ_state = PROFILE_STATE_ANY;
const volatile bool targ_include_runqueue = false;
/* Look-back (autotrace): rows per time slot of this many ns, so user space can drop old slots. */
const volatile __u64 targ_slot_ns = 0;

/* max_entries from --stack-storage-size (user space). */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, PROFILE_MAX_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

/* A plain hash, not a per-CPU one: the key holds the thread id and a thread runs on
 * one CPU at a time, so the atomic add below is all but uncontended, while a per-CPU
 * hash would multiply the map's memory and every read by the number of CPUs.
 * Preallocated (the default), as programs that may run in NMI context need.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct profile_key);
	__type(value, __u64);
} counts SEC(".maps");

/* Per row, the user stack top at its first event (rows are never deleted, nor these). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct profile_key);
	__type(value, struct profile_user_top);
} user_tops SEC(".maps");

/* Processes sampled so far (tgid → 1), for user space to snapshot their maps early.
 * LRU: a long run through many short-lived processes never fills it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u8);
} pids SEC(".maps");

/* A wait in progress (off-CPU, lock), per thread. */
struct wait_start {
	__u64 ts;	/* switch-out, or contention_begin */
	__u64 wake_ts;	/* off-CPU: sched_wakeup, 0 until then; the start itself when it was preempted */
	struct profile_key key;
	struct profile_user_top top;
	__u8 has_top;
	__u8 pad[7];
};

/* A hash, not task storage: task storage needs 5.11. Entries of threads that exit asleep
 * stay until the run ends (at most max_entries; a full map is counted).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, struct wait_start);
} starts SEC(".maps");

/* A wait_start is too big for the BPF stack: it is built here. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wait_start);
} scratch SEC(".maps");

/* Failures are counted in common.h's per-CPU `counters`, at the PROFILE_ERR_* indexes. */
_Static_assert(PROFILE_ERR_MAX <= COUNTER_MAX, "PROFILE_ERR_* must fit in counters");
_Static_assert(PROFILE_ERR_KERN_COLLISION == COUNTER_TOOL_BASE, "PROFILE_ERR_* start at COUNTER_TOOL_BASE");
const enum profile_err profile_err_btf_anchor __attribute__((unused));
const enum profile_offcpu_state profile_offcpu_state_btf_anchor __attribute__((unused));

/* A stack id, counting every failure by cause; base is the first index of the KERN or USER group. */
static __always_inline __s32 stack_id(void *ctx, __u64 flags, __u32 base)
{
	long id = bpf_get_stackid(ctx, &stacks, flags);

	if (id >= 0)
		return id;
	if (id == -EEXIST)
		counter_inc(base + PROFILE_ERR_KERN_COLLISION - PROFILE_ERR_KERN_COLLISION);
	else if (id == -EFAULT)
		counter_inc(base + PROFILE_ERR_KERN_MISSING - PROFILE_ERR_KERN_COLLISION);
	else if (id == -ENOMEM)
		counter_inc(base + PROFILE_ERR_KERN_MAP_FULL - PROFILE_ERR_KERN_COLLISION);
	else
		counter_inc(base + PROFILE_ERR_KERN_OTHER - PROFILE_ERR_KERN_COLLISION);
	return id;
}

/* The running task's identity and stacks; kernel stacks only when `kernel`. */
static __always_inline void key_of_current(void *ctx, struct profile_key *key, struct task_struct *task, bool kernel)
{
	__u64 id = bpf_get_current_pid_tgid();

	key->pid = (__u32)id;
	key->tgid = id >> 32;
	key->cgroup_id = task_cgroup_id(task, targ_cgroup_hier);
	bpf_get_current_comm(key->comm, sizeof(key->comm));
	if (targ_slot_ns)
		key->slot = bpf_ktime_get_ns() / targ_slot_ns;
	key->kern_stack_id = targ_user_only || !kernel ? PROFILE_STACK_SKIPPED
						       : stack_id(ctx, 0, PROFILE_ERR_KERN_COLLISION);
	key->user_stack_id = targ_kernel_only ? PROFILE_STACK_SKIPPED
					      : stack_id(ctx, BPF_F_USER_STACK, PROFILE_ERR_USER_COLLISION);
}

/* The current task's user registers as they were at kernel entry (syscall, interrupt,
 * fault): where its user stack is. Without bpf_task_pt_regs (5.15) or
 * bpf_get_current_task_btf (5.11), x86-64's layout: the registers sit at the top of the
 * kernel stack (THREAD_SIZE 16 KiB, no KASAN).
 */
static __always_inline struct pt_regs *current_user_regs(void)
{
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs) &&
	    bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf))
		return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	void *stack = BPF_CORE_READ(task, stack);

	return stack ? (struct pt_regs *)(stack + 16384) - 1 : NULL;
}

/* Copy the current task's user stack top into *top; false when it cannot be read. */
static __always_inline bool copy_user_top(struct profile_user_top *top)
{
	struct pt_regs *regs = current_user_regs();

	if (!regs)
		return false;
	top->sp = BPF_CORE_READ(regs, sp);
	return top->sp && !bpf_probe_read_user(top->words, sizeof(top->words), (void *)top->sp);
}

/* The user stack top for a new row of `key` (NULL when not wanted or not readable). */
static __always_inline struct profile_user_top *new_row_top(struct profile_key *key, struct profile_user_top *top)
{
	return key->user_stack_id >= 0 && targ_user_tops && copy_user_top(top) ? top : NULL;
}

/* Add `weight` to the row of `key`, making it (and its user stack top) when new. */
static __always_inline void row_add(struct profile_key *key, __u64 weight, struct profile_user_top *top)
{
	__u8 seen = 1;
	__u64 *val;
	long err;

	val = bpf_map_lookup_elem(&counts, key);
	if (val) {
		__sync_fetch_and_add(val, weight);
		return;
	}
	err = bpf_map_update_elem(&counts, key, &weight, BPF_NOEXIST);
	if (err == -EEXIST) { /* another CPU made the row first (a thread that migrated) */
		val = bpf_map_lookup_elem(&counts, key);
		if (val)
			__sync_fetch_and_add(val, weight);
		return;
	}
	if (err) { /* -E2BIG: full; -EBUSY, rarely: the bucket is locked under this NMI */
		counter_inc(PROFILE_ERR_COUNTS_FULL);
		return;
	}
	/* A new row: the only way a new process shows up, so `pids` is touched only here. */
	err = bpf_map_update_elem(&pids, &key->tgid, &seen, BPF_NOEXIST);
	if (err && err != -EEXIST)
		counter_inc(PROFILE_ERR_PIDS_FULL);
	if (key->user_stack_id >= 0 && targ_user_tops) {
		if (top)
			bpf_map_update_elem(&user_tops, key, top, BPF_NOEXIST);
		else
			counter_inc(PROFILE_ERR_TOP_MISSING);
	}
}

static __always_inline struct wait_start *scratch_start(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&scratch, &zero);
}

/* Add `weight` to the current task's row; its user stack top is copied only for a new row. */
static __always_inline void count_current(void *ctx, struct task_struct *task, bool kernel, __u64 weight)
{
	struct wait_start *w = scratch_start();
	__u64 *val;

	if (!w)
		return;
	__builtin_memset(&w->key, 0, sizeof(w->key));
	key_of_current(ctx, &w->key, task, kernel);
	val = bpf_map_lookup_elem(&counts, &w->key);
	if (val)
		__sync_fetch_and_add(val, weight);
	else
		row_add(&w->key, weight, new_row_top(&w->key, &w->top));
}

SEC("perf_event")
int profile_sample(struct bpf_perf_event_data *ctx)
{
	/* The sampled task is the one running here, so `current` is right for once. */
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 pid = (__u32)bpf_get_current_pid_tgid();

	if (pid == 0 && !targ_include_idle)
		return 0;
	if (task_filtered_out(false, task))
		return 0;
	count_current(ctx, task, true, 1);
	return 0;
}

/* --- off-CPU ------------------------------------------------------------------------ */

static __always_inline bool state_selected(long state)
{
	if (targ_state == PROFILE_STATE_D)
		return (state & TASK_UNINTERRUPTIBLE) && !(state & TASK_NOLOAD);
	if (targ_state == PROFILE_STATE_S)
		return state & TASK_INTERRUPTIBLE;
	return true;
}

/* Keep the leaving task's stacks and time (current is still prev here). */
static __always_inline void switch_out(bool btf, void *ctx, bool preempt, struct task_struct *prev)
{
	struct wait_start *w;
	bool runnable;
	__u32 tid;
	long state;

	tid = TASK_READ(btf, prev, pid);
	if (tid == 0 || task_filtered_out(btf, prev))
		return;
	/* A preempted task (or one that yielded) stays runnable: all its wait is run-queue time. */
	state = preempt ? TASK_RUNNING : task_state(btf, prev);
	if (state & TASK_DEAD) /* its last switch: it never comes back */
		return;
	runnable = state == TASK_RUNNING;
	if (runnable ? !targ_include_runqueue : !state_selected(state))
		return;
	w = scratch_start();
	if (!w)
		return;
	__builtin_memset(&w->key, 0, sizeof(w->key));
	key_of_current(ctx, &w->key, prev, true);
	w->ts = bpf_ktime_get_ns();
	w->wake_ts = runnable ? w->ts : 0;
	/* The user stack top is copied only for a row that does not exist yet. */
	w->has_top = !bpf_map_lookup_elem(&counts, &w->key) && new_row_top(&w->key, &w->top);
	if (bpf_map_update_elem(&starts, &tid, w, BPF_ANY))
		counter_inc(PROFILE_ERR_STARTS_FULL);
}

/* The task coming in: its wait is over. */
static __always_inline void switch_in(bool btf, struct task_struct *next)
{
	__u32 tid = TASK_READ(btf, next, pid);
	struct wait_start *w;
	__u64 now, woke;

	w = bpf_map_lookup_elem(&starts, &tid);
	if (!w)
		return;
	now = bpf_ktime_get_ns();
	woke = w->wake_ts ? w->wake_ts : now; /* no wakeup seen (woken before attach): all blocked */
	if (woke > w->ts && woke - w->ts >= targ_min_block_ns) {
		w->key.runqueue = 0;
		row_add(&w->key, woke - w->ts, w->has_top ? &w->top : NULL);
	} else if (woke > w->ts) {
		__u32 at = PROFILE_ERR_SHORT_NS;
		__u64 *short_ns = bpf_map_lookup_elem(&counters, &at);

		if (short_ns)
			*short_ns += woke - w->ts; /* per CPU: no atomics */
	}
	if (targ_include_runqueue && now > woke) {
		w->key.runqueue = 1;
		row_add(&w->key, now - woke, w->has_top ? &w->top : NULL);
	}
	bpf_map_delete_elem(&starts, &tid);
}

static __always_inline int on_switch(bool btf, void *ctx, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	switch_out(btf, ctx, preempt, prev);
	switch_in(btf, next);
	return 0;
}

static __always_inline int on_wakeup(bool btf, struct task_struct *p)
{
	__u32 tid = TASK_READ(btf, p, pid);
	struct wait_start *w = bpf_map_lookup_elem(&starts, &tid);

	if (w && !w->wake_ts)
		w->wake_ts = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(offcpu_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(true, ctx, preempt, prev, next);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(offcpu_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(false, ctx, preempt, prev, next);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(offcpu_wakeup_btf, struct task_struct *p)
{
	return on_wakeup(true, p);
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(offcpu_wakeup_raw, struct task_struct *p)
{
	return on_wakeup(false, p);
}

/* --- lock contention ------------------------------------------------------------------ */

static __always_inline int on_contention_begin(void *ctx, void *lock, __u32 flags)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct wait_start *w;

	if (tid == 0 || task_filtered_out(false, task))
		return 0;
	w = bpf_map_lookup_elem(&starts, &tid);
	if (w) {
		/* A mutex spins (MUTEX|SPIN), then sleeps (MUTEX): one wait, the later flags. */
		if (w->key.lock_addr == (__u64)lock)
			w->key.lock_flags = flags;
		else
			counter_inc(PROFILE_ERR_LOCK_NESTED);
		return 0;
	}
	w = scratch_start();
	if (!w)
		return 0;
	__builtin_memset(&w->key, 0, sizeof(w->key));
	key_of_current(ctx, &w->key, task, true);
	w->key.lock_addr = (__u64)lock;
	w->key.lock_flags = flags;
	w->ts = bpf_ktime_get_ns();
	w->wake_ts = 0;
	w->has_top = !bpf_map_lookup_elem(&counts, &w->key) && new_row_top(&w->key, &w->top);
	if (bpf_map_update_elem(&starts, &tid, w, BPF_NOEXIST))
		counter_inc(PROFILE_ERR_STARTS_FULL);
	return 0;
}

static __always_inline int on_contention_end(void *lock)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct wait_start *w = bpf_map_lookup_elem(&starts, &tid);
	__u64 now;

	if (!w || w->key.lock_addr != (__u64)lock) /* not timed, or the end of a nested one */
		return 0;
	now = bpf_ktime_get_ns();
	if (now > w->ts)
		row_add(&w->key, now - w->ts, w->has_top ? &w->top : NULL);
	bpf_map_delete_elem(&starts, &tid);
	return 0;
}

SEC("tp_btf/contention_begin")
int BPF_PROG(lock_begin_btf, void *lock, unsigned int flags)
{
	return on_contention_begin(ctx, lock, flags);
}

SEC("raw_tp/contention_begin")
int BPF_PROG(lock_begin_raw, void *lock, unsigned int flags)
{
	return on_contention_begin(ctx, lock, flags);
}

SEC("tp_btf/contention_end")
int BPF_PROG(lock_end_btf, void *lock, int ret)
{
	return on_contention_end(lock);
}

SEC("raw_tp/contention_end")
int BPF_PROG(lock_end_raw, void *lock, int ret)
{
	return on_contention_end(lock);
}

/* --- page faults ---------------------------------------------------------------------- */

/* A user fault's kernel stack is only the exception entry: not taken. */
static __always_inline int on_fault(void *ctx, bool kernel)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (tid == 0 || task_filtered_out(false, task))
		return 0;
	count_current(ctx, task, kernel, 1);
	return 0;
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(fault_user_btf, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return on_fault(ctx, false);
}

SEC("raw_tp/page_fault_user")
int BPF_PROG(fault_user_raw, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return on_fault(ctx, false);
}

SEC("tp_btf/page_fault_kernel")
int BPF_PROG(fault_kernel_btf, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return on_fault(ctx, true);
}

SEC("raw_tp/page_fault_kernel")
int BPF_PROG(fault_kernel_raw, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return on_fault(ctx, true);
}
