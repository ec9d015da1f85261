// SPDX-License-Identifier: GPL-2.0
/* Feature probes for `huatuo check`: each program is loaded and attached on its own
 * (autoload picks one at a time) to learn what this kernel really supports.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} probe_ringbuf SEC(".maps");

SEC("tp_btf/sched_switch")
int BPF_PROG(probe_tp_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(probe_raw_tp, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return 0;
}

SEC("tracepoint/sched/sched_switch")
int probe_tracepoint(void *ctx)
{
	return 0;
}

SEC("perf_event")
int probe_perf_event(void *ctx)
{
	return 0;
}

SEC("fentry/vfs_read")
int BPF_PROG(probe_fentry)
{
	return 0;
}

SEC("kprobe/vfs_read")
int BPF_KPROBE(probe_kprobe)
{
	return 0;
}

/* Uses the ring buffer, so loading it proves BPF_MAP_TYPE_RINGBUF works. */
SEC("raw_tp/sched_switch")
int probe_ringbuf_use(void *ctx)
{
	__u32 *v = bpf_ringbuf_reserve(&probe_ringbuf, sizeof(*v), 0);

	if (v)
		bpf_ringbuf_discard(v, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
