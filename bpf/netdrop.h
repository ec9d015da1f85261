/* netdrop: the kernel/user boundary. Fixed-width types, largest first, padding written out. */
#ifndef HUATUO_NETDROP_H
#define HUATUO_NETDROP_H

/* Bytes of the dropped packet, from its network header on, copied into each event. */
#define NETDROP_HDR_BYTES 64
#define NETDROP_IFNAMSIZ 16

/* How --reason / --exclude-reason use the reason_filter set (rodata targ_reason_mode). */
enum netdrop_reason_mode {
	NETDROP_REASONS_ALL = 0,
	NETDROP_REASONS_ONLY = 1,   /* keep the reasons in the set */
	NETDROP_REASONS_EXCEPT = 2, /* keep every reason not in the set */
};

/* Key of the `drops` map: one row per place and kind of drop. */
struct netdrop_key {
	__u64 location;	 /* the caller of kfree_skb (kfree_skb_reason's return address) */
	__u64 cgroup_id; /* the socket's cgroup v2 id; 0: the drop had no socket */
	__u32 reason;	 /* enum skb_drop_reason value; 0 on kernels without reasons */
	__u32 netns;	 /* inode of the network namespace (of the device, else the socket) */
	__u32 ifindex;	 /* the device's index in that namespace; 0: no device */
	__u16 l3_proto;	 /* ETH_P_* (host order), from skb->protocol or the IP version */
	__u8 l4_proto;	 /* IPPROTO_* of IPv4/IPv6 packets, else 0 */
	__u8 __pad;
};

/* Value of the `drops` map (per CPU). */
struct netdrop_stats {
	__u64 packets;
	__u64 bytes; /* skb->len */
	char dev[NETDROP_IFNAMSIZ]; /* the device's name, copied on this CPU's first drop */
};

/* Key of the `site_stacks` map (--stack): one kernel stack per reason and location. */
struct netdrop_site {
	__u64 location;
	__u32 reason;
	__u32 __pad;
};

/* One dropped packet, sent under the rate limit. */
struct netdrop_event {
	__u64 ts_ns;
	__u64 location;
	__u64 cgroup_id;
	__u32 reason;
	__u32 netns;
	__u32 ifindex;
	__u32 len;	 /* skb->len */
	__u32 cpu;
	__u16 l3_proto;
	__u16 sport;	 /* host order; 0 without ports */
	__u16 dport;
	__u8 l4_proto;
	__u8 family;	 /* 4, 6, or 0 when not IP */
	__u8 tcp_flags;	 /* the TCP header's flag byte (FIN 0x01 … CWR 0x80) */
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 hdr_len;	 /* bytes of hdr[] that were copied */
	__u8 saddr[16];	 /* IPv4 in the first 4 bytes */
	__u8 daddr[16];
	char dev[NETDROP_IFNAMSIZ];
	__u8 hdr[NETDROP_HDR_BYTES];
};

#endif
