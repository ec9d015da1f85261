// SPDX-License-Identifier: GPL-2.0
/* netdrop: every packet the kernel frees as dropped (skb:kfree_skb; consume_skb is not a
 * drop and is not traced), counted exactly per (reason, location, protocol, netns,
 * device, socket cgroup) in a per-CPU hash, and a rate-limited stream of the packets
 * themselves with their headers parsed here (CO-RE, from skb->head + network_header).
 *
 * kfree_skb's arguments differ between kernels: (skb, location) before 5.17, then
 * reason, then rx_sk (6.12+). User space reads the tracepoint's BTF prototype and sets
 * targ_has_reason / targ_has_rx_sk; an argument the kernel does not pass is never read,
 * so the verifier (which prunes branches on rodata) accepts the object everywhere.
 */
#include "common.h"
#include "netdrop.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IP_MF 0x2000
#define IP_OFFSET 0x1FFF

const volatile bool targ_has_reason = false;
const volatile bool targ_has_rx_sk = false;
const volatile bool targ_stack = false;
const volatile __u64 targ_events_per_sec = 100;	/* all CPUs together; 0: no events */
const volatile int targ_reason_mode = NETDROP_REASONS_ALL;
const volatile __u8 targ_l4_proto = 0;		/* 0: any */
const volatile __u16 targ_port = 0;		/* either end; 0: any */
const volatile __u8 targ_host_family = 0;	/* 4 or 6: --host set */
const volatile __u8 targ_host_prefix = 0;
const volatile __u8 targ_host_addr[16] = {};
const volatile __u32 targ_netns = 0;		/* 0: any */
const volatile __u32 targ_ifindex = 0;		/* --dev: this index in targ_dev_netns */
const volatile __u32 targ_dev_netns = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct netdrop_key);
	__type(value, struct netdrop_stats);
} drops SEC(".maps");

/* --reason / --exclude-reason values (a set). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} reason_filter SEC(".maps");

/* With a pod filter: the pods' network namespaces, for drops that have no socket. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} netns_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 4096);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 127 * sizeof(__u64));
} stacks SEC(".maps");

/* --stack: the stack id of the first drop seen per reason and location. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct netdrop_site);
	__type(value, __s32);
} site_stacks SEC(".maps");

/* One window for all CPUs: --rate is events per second for the node, not per CPU. */
struct event_window {
	__u64 second;
	__u64 sent;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event_window);
} event_rate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

const struct netdrop_event netdrop_event_btf_anchor __attribute__((unused));
const struct netdrop_stats netdrop_stats_btf_anchor __attribute__((unused));
const struct netdrop_site netdrop_site_btf_anchor __attribute__((unused));
const enum netdrop_reason_mode netdrop_reason_mode_btf_anchor __attribute__((unused));

/* What the headers say, as far as they were read. */
struct flow {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u8 family;
	__u8 l4_proto;
	__u8 tcp_flags;
	__u8 icmp_type;
	__u8 icmp_code;
	bool ports; /* sport/dport were read */
};

static __always_inline __u16 be16(__u16 v)
{
	return __builtin_bswap16(v);
}

/* The transport header of an IPv6 packet: skip up to 4 extension headers. */
static __always_inline int ipv6_transport(unsigned char *at, __u8 *next, bool *first_fragment)
{
	int off = 40;

#pragma unroll
	for (int i = 0; i < 4; i++) {
		__u8 ext[2];

		if (*next != 0 && *next != 43 && *next != 60 && *next != 44 && *next != 51)
			return off;
		if (bpf_probe_read_kernel(ext, sizeof(ext), at + off))
			return -1;
		if (*next == 44) {
			__u16 frag;

			if (bpf_probe_read_kernel(&frag, sizeof(frag), at + off + 2))
				return -1;
			*first_fragment = (be16(frag) & 0xFFF8) == 0;
			*next = ext[0];
			off += 8;
			/* A later fragment's payload is no header: stop at its protocol. */
			if (!*first_fragment)
				return off;
		} else if (*next == 51) {
			/* AH counts its length in 4-byte units, less 2. */
			*next = ext[0];
			off += (ext[1] + 2) * 4;
		} else {
			*next = ext[0];
			off += (ext[1] + 1) * 8;
		}
	}
	return off;
}

/* Addresses, protocol, ports, TCP flags or ICMP type of an IPv4/IPv6 packet at `nh`, of
 * which `avail` bytes are in the skb's linear data: nothing is read beyond them.
 */
static __always_inline void parse_flow(unsigned char *nh, __u32 avail, __u16 l3, struct flow *f)
{
	bool first_fragment = true;
	int l4_off;
	__u8 proto;

	if (l3 == ETH_P_IP) {
		struct iphdr ip;

		if (avail < sizeof(ip) || bpf_probe_read_kernel(&ip, sizeof(ip), nh) || ip.ihl < 5)
			return;
		f->family = 4;
		__builtin_memcpy(f->saddr, &ip.saddr, 4);
		__builtin_memcpy(f->daddr, &ip.daddr, 4);
		proto = ip.protocol;
		l4_off = ip.ihl * 4;
		first_fragment = (be16(ip.frag_off) & IP_OFFSET) == 0;
	} else if (l3 == ETH_P_IPV6) {
		struct ipv6hdr ip6;

		if (avail < sizeof(ip6) || bpf_probe_read_kernel(&ip6, sizeof(ip6), nh))
			return;
		f->family = 6;
		__builtin_memcpy(f->saddr, &ip6.saddr, 16);
		__builtin_memcpy(f->daddr, &ip6.daddr, 16);
		proto = ip6.nexthdr;
		l4_off = ipv6_transport(nh, &proto, &first_fragment);
		if (l4_off < 0)
			return;
	} else {
		return;
	}
	f->l4_proto = proto;
	/* Later fragments carry no transport header. */
	if (!first_fragment || l4_off > 1024)
		return;
	if (proto == IPPROTO_TCP) {
		__u8 th[14];

		if (l4_off + sizeof(th) > avail || bpf_probe_read_kernel(th, sizeof(th), nh + l4_off))
			return;
		f->sport = (th[0] << 8) | th[1];
		f->dport = (th[2] << 8) | th[3];
		f->tcp_flags = th[13];
		f->ports = true;
	} else if (proto == IPPROTO_UDP) {
		__u8 uh[4];

		if (l4_off + sizeof(uh) > avail || bpf_probe_read_kernel(uh, sizeof(uh), nh + l4_off))
			return;
		f->sport = (uh[0] << 8) | uh[1];
		f->dport = (uh[2] << 8) | uh[3];
		f->ports = true;
	} else if (proto == IPPROTO_ICMP || proto == 58 /* IPPROTO_ICMPV6 */) {
		__u8 ih[2];

		if (l4_off + sizeof(ih) > avail || bpf_probe_read_kernel(ih, sizeof(ih), nh + l4_off))
			return;
		f->icmp_type = ih[0];
		f->icmp_code = ih[1];
	}
}

/* Whether the first targ_host_prefix bits of `addr` are --host's. */
static __always_inline bool prefix_matches(const __u8 *addr)
{
#pragma unroll
	for (int i = 0; i < 16; i++) {
		int bits = targ_host_prefix - i * 8;
		__u8 mask;

		if (bits <= 0)
			return true;
		mask = bits >= 8 ? 0xFF : (__u8)(0xFF << (8 - bits));
		if ((addr[i] ^ targ_host_addr[i]) & mask)
			return false;
	}
	return true;
}

static __always_inline bool flow_filtered_out(const struct flow *f)
{
	if (targ_l4_proto && f->l4_proto != targ_l4_proto)
		return true;
	if (targ_port && !(f->ports && (f->sport == targ_port || f->dport == targ_port)))
		return true;
	if (targ_host_family && !(f->family == targ_host_family && (prefix_matches(f->saddr) || prefix_matches(f->daddr))))
		return true;
	return false;
}

/* TCP_TIME_WAIT and TCP_NEW_SYN_RECV sockets are only a struct sock_common (and a bit). */
static __always_inline bool sock_is_full(bool btf, struct sock *sk)
{
	__u8 state = BTF_READ(btf, sk, __sk_common.skc_state);

	return state != 6 /* TCP_TIME_WAIT */ && state != 12 /* TCP_NEW_SYN_RECV */;
}

static __always_inline bool sock_is_ip(bool btf, struct sock *sk)
{
	__u16 family = BTF_READ(btf, sk, __sk_common.skc_family);

	return family == 2 /* AF_INET */ || family == 10 /* AF_INET6 */;
}

/* The socket's cgroup in the unified hierarchy, where BPF and cgroup v2 see sockets. */
static __always_inline __u64 sock_cgroup_id(struct sock *sk)
{
	struct cgroup *cg = sock_cgroup(sk);

	return cg ? BPF_CORE_READ(cg, kn, id) : 0;
}

static __always_inline __u32 net_inum(bool btf, struct net *net)
{
	if (!net)
		return 0;
	return btf ? net->ns.inum : BPF_CORE_READ(net, ns.inum);
}

/* Under the node-wide rate limit? Two CPUs racing at a window's edge may each send one
 * more (no BPF cmpxchg before 5.12): at most one extra event per CPU per second.
 */
static __always_inline bool event_allowed(__u64 now)
{
	__u32 zero = 0;
	struct event_window *w = bpf_map_lookup_elem(&event_rate, &zero);
	__u64 second = now / 1000000000ULL;

	if (!w)
		return false;
	if (w->second != second) {
		w->second = second;
		w->sent = 0;
	}
	if (w->sent >= targ_events_per_sec)
		return false;
	__sync_fetch_and_add(&w->sent, 1);
	return true;
}

static __always_inline void emit(bool btf, struct sk_buff *skb, unsigned char *nh, __u32 avail, const struct netdrop_key *k,
				 struct flow *f, bool parsed, struct net_device *dev, __u64 now)
{
	struct netdrop_event *e;

	/* --rate 0 sends none: all of them are over the rate, so sent + not sent = drops still. */
	if (!targ_events_per_sec || !event_allowed(now)) {
		counter_inc(COUNTER_RATE_LIMITED);
		return;
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		counter_inc(COUNTER_RINGBUF_FULL);
		return;
	}
	counter_inc(COUNTER_EMITTED);
	if (!parsed && nh)
		parse_flow(nh, avail, k->l3_proto, f);
	e->ts_ns = now;
	e->location = k->location;
	e->cgroup_id = k->cgroup_id;
	e->reason = k->reason;
	e->netns = k->netns;
	e->ifindex = k->ifindex;
	e->len = BTF_READ(btf, skb, len);
	e->cpu = bpf_get_smp_processor_id();
	e->l3_proto = k->l3_proto;
	e->sport = f->sport;
	e->dport = f->dport;
	e->l4_proto = f->l4_proto;
	e->family = f->family;
	e->tcp_flags = f->tcp_flags;
	e->icmp_type = f->icmp_type;
	e->icmp_code = f->icmp_code;
	__builtin_memcpy(e->saddr, f->saddr, 16);
	__builtin_memcpy(e->daddr, f->daddr, 16);
	if (!dev || bpf_probe_read_kernel_str(e->dev, sizeof(e->dev), &dev->name) < 0)
		e->dev[0] = 0;
	/* The headers as the kernel had them, for display and checks in user space. */
	e->hdr_len = 0;
	if (nh && avail >= NETDROP_HDR_BYTES) {
		if (!bpf_probe_read_kernel(e->hdr, NETDROP_HDR_BYTES, nh))
			e->hdr_len = NETDROP_HDR_BYTES;
	} else if (nh) {
		/* A short packet: only its own bytes (a size the verifier can bound below 64). */
		__u32 n = avail & (NETDROP_HDR_BYTES - 1);

		if (!bpf_probe_read_kernel(e->hdr, n, nh))
			e->hdr_len = n;
	}
	bpf_ringbuf_submit(e, 0);
}

static __always_inline bool pod_filtered_out(__u64 cgroup_id, __u32 netns)
{
	if (!targ_filter_cgroup)
		return false;
	/* The socket's pod; for a drop without one, the pod that owns the namespace. */
	if (cgroup_id)
		return !bpf_map_lookup_elem(&cgroup_filter, &cgroup_id);
	__u8 *on = bpf_map_lookup_elem(&netns_filter, &netns);

	return !on || !*on; /* 0: a namespace that was the selection's and is no more */
}

/* In the tp_btf flavour skb and what hangs off it are BTF pointers, read with plain loads
 * (no helper call); the raw_tp flavour reads them with bpf_probe_read_kernel (BTF_READ).
 */
static __always_inline int on_drop(bool btf, void *ctx, struct sk_buff *skb, __u64 location, __u32 reason, struct sock *rx_sk)
{
	struct netdrop_key key __attribute__((aligned(8))) = {};
	struct flow f = {};
	bool parsed = false;
	struct net_device *dev;
	struct netdrop_stats *s;
	struct sock *sk;
	unsigned char *head, *nh = NULL;
	__u16 l3, nh_off, mac_off;
	__u32 tail, avail = 0;
	__u64 now;

	if (targ_reason_mode != NETDROP_REASONS_ALL) {
		bool listed = bpf_map_lookup_elem(&reason_filter, &reason) != NULL;

		if (listed != (targ_reason_mode == NETDROP_REASONS_ONLY))
			return 0;
	}
	dev = BTF_READ(btf, skb, dev);
	sk = rx_sk ? rx_sk : BTF_READ(btf, skb, sk);
	key.netns = dev ? net_inum(btf, BTF_READ(btf, dev, nd_net.net)) : 0;
	if (!key.netns && sk)
		key.netns = net_inum(btf, BTF_READ(btf, sk, __sk_common.skc_net.net));
	key.ifindex = dev ? BTF_READ(btf, dev, ifindex) : 0;
	if (targ_netns && key.netns != targ_netns)
		return 0;
	if (targ_ifindex && (key.ifindex != targ_ifindex || key.netns != targ_dev_netns))
		return 0;
	/* Only a full socket has a cgroup: a request or TIME_WAIT socket is a smaller struct. */
	key.cgroup_id = sk && sock_is_full(btf, sk) ? sock_cgroup_id(sk) : 0;
	if (pod_filtered_out(key.cgroup_id, key.netns))
		return 0;

	/* head stays a probe read: an offset is added to it, which a BTF pointer does not allow. */
	head = BPF_CORE_READ(skb, head);
	nh_off = BTF_READ(btf, skb, network_header);
	mac_off = BTF_READ(btf, skb, mac_header);
	tail = BTF_READ(btf, skb, tail);
	l3 = be16(BTF_READ(btf, skb, protocol));
	/* network_header is 0 until someone sets it (mac_header is ~0 until set); a set one lies
	 * after the MAC header, and within the linear data (tail is an offset on 64-bit kernels).
	 */
	if (head && nh_off && (mac_off == 0xFFFF || nh_off > mac_off) && tail > nh_off) {
		nh = head + nh_off;
		avail = tail - nh_off;
	}
	/* A packet an IP socket sent, dropped before ip_output set skb->protocol: its IP version says. */
	if (!l3 && nh && sk && sock_is_ip(btf, sk)) {
		__u8 v;

		if (!bpf_probe_read_kernel(&v, 1, nh))
			l3 = (v >> 4) == 4 ? ETH_P_IP : (v >> 4) == 6 ? ETH_P_IPV6 : 0;
	}
	key.l3_proto = l3;
	if (nh && (l3 == ETH_P_IP || l3 == ETH_P_IPV6)) {
		if (targ_port || targ_host_family || targ_l4_proto) {
			parse_flow(nh, avail, l3, &f);
			parsed = true;
			if (flow_filtered_out(&f))
				return 0;
			key.l4_proto = f.l4_proto;
		} else if (l3 == ETH_P_IP && avail >= 20) {
			/* Unfiltered rows need only the protocol byte; events parse the rest. */
			bpf_probe_read_kernel(&key.l4_proto, 1, nh + 9);
		} else {
			parse_flow(nh, avail, l3, &f);
			parsed = true;
			key.l4_proto = f.l4_proto;
		}
	} else if (targ_port || targ_host_family || targ_l4_proto) {
		return 0;
	}
	key.location = location;
	key.reason = reason;

	s = bpf_map_lookup_elem(&drops, &key);
	if (!s) {
		struct netdrop_stats zero = {};

		if (dev)
			bpf_probe_read_kernel_str(zero.dev, sizeof(zero.dev), &dev->name);
		bpf_map_update_elem(&drops, &key, &zero, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&drops, &key);
		if (!s) {
			counter_inc(COUNTER_ROWS_FULL);
			return 0;
		}
	}
	s->packets++;
	s->bytes += BTF_READ(btf, skb, len);

	if (targ_stack) {
		struct netdrop_site site = { .location = location, .reason = reason };

		if (!bpf_map_lookup_elem(&site_stacks, &site)) {
			__s32 id = bpf_get_stackid(ctx, &stacks, 0);

			if (id >= 0)
				bpf_map_update_elem(&site_stacks, &site, &id, BPF_NOEXIST);
		}
	}
	now = bpf_ktime_get_ns();
	emit(btf, skb, nh, avail, &key, &f, parsed, dev, now);
	return 0;
}

/* The arguments this kernel passes, by its prototype (targ_has_*): ctx[] as u64s in both flavours. */
static __always_inline int kfree_skb_args(bool btf, void *ctx)
{
	__u64 *args = ctx;
	__u32 reason = 0;
	struct sock *rx_sk = NULL;

	if (targ_has_reason)
		reason = (__u32)args[2];
	if (targ_has_rx_sk)
		rx_sk = (struct sock *)args[3];
	return on_drop(btf, ctx, (struct sk_buff *)args[0], args[1], reason, rx_sk);
}

SEC("tp_btf/kfree_skb")
int kfree_skb_btf(void *ctx)
{
	return kfree_skb_args(true, ctx);
}

SEC("raw_tp/kfree_skb")
int kfree_skb_raw(void *ctx)
{
	return kfree_skb_args(false, ctx);
}
