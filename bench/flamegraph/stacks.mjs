// Synthetic but realistic collapsed stacks for bench/flamegraph/bench.mjs: a few dozen
// processes, call paths that share prefixes (each node picks its callees from a small,
// skewed fan-out, so hot paths repeat), depth 5–40 with kernel frames (`_[k]`) at the leaf
// end of a third of the stacks and JIT frames (`_[j]`) in the Java ones, and Zipf-ish
// counts (a few hot stacks, a long tail of 1–2 samples). Deterministic for a seed.

function mulberry32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mix(a, b) {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return (h ^ (h >>> 12)) >>> 0;
}

const PROCS = ['nginx', 'java', 'postgres', 'envoy', 'python3', 'redis-server', 'node', 'containerd', 'kubelet', 'mysqld',
  'etcd', 'coredns', 'haproxy', 'memcached', 'ruby', 'php-fpm', 'ksoftirqd/0', 'kworker/1:2', 'swapper', 'fluent-bit',
  'prometheus', 'grafana', 'clickhouse', 'kafka'];
const WORDS = ['alloc', 'buffer', 'cache', 'commit', 'decode', 'dispatch', 'encode', 'event', 'fetch', 'flush', 'handle',
  'hash', 'index', 'init', 'insert', 'lock', 'lookup', 'loop', 'merge', 'parse', 'poll', 'process', 'query', 'read',
  'recv', 'render', 'request', 'resolve', 'scan', 'schedule', 'send', 'serialize', 'sort', 'split', 'sync', 'update',
  'validate', 'wait', 'write', 'yield'];
const KWORDS = ['tcp', 'ip', 'sock', 'vfs', 'ext4', 'blk', 'mq', 'page', 'mm', 'sched', 'futex', 'epoll', 'irq', 'softirq',
  'rcu', 'hrtimer', 'netif', 'skb', 'xfs', 'nvme'];

function names(rnd) {
  const pick = (a) => a[Math.floor(rnd() * a.length)];
  const user = [];
  for (let i = 0; i < 5000; i++) {
    const style = i % 5;
    if (style === 0) user.push(`${pick(['ngx', 'pg', 'redis', 'ev', 'uv'])}_${pick(WORDS)}_${pick(WORDS)}`);
    else if (style === 1) user.push(`${pick(['std', 'boost', 'folly', 'absl', 'app'])}::${pick(['detail', 'io', 'net', 'rpc'])}::${pick(WORDS)[0].toUpperCase()}${pick(WORDS).slice(1)}::${pick(WORDS)}_${i}(int, char const*)`);
    else if (style === 2) user.push(`${pick(['tokio', 'hyper', 'serde', 'app'])}::${pick(WORDS)}::${pick(WORDS)}_${pick(WORDS)}::h${(i * 2654435761 >>> 0).toString(16)}`);
    else if (style === 3) user.push(`main.(*${pick(WORDS)[0].toUpperCase()}${pick(WORDS).slice(1)}).${pick(WORDS)}${i}`);
    else user.push(`com/acme/${pick(WORDS)}/${pick(WORDS)[0].toUpperCase()}${pick(WORDS).slice(1)}.${pick(WORDS)}_[j]`);
  }
  const kernel = [];
  for (let i = 0; i < 1500; i++) kernel.push(`${pick(KWORDS)}_${pick(WORDS)}${i % 7 ? '' : `_${pick(WORDS)}`}_[k]`);
  // Unique names, so equal stacks are exactly equal index sequences (see generateStacks).
  return { user: [...new Set(user)], kernel: [...new Set(kernel)] };
}

/** `n` unique stacks ({ frames, count }), root first. */
export function generateStacks(n = 100_000, seed = 1) {
  const rnd = mulberry32(seed);
  const { user, kernel } = names(rnd);
  const seen = new Set();
  const stacks = [];
  while (stacks.length < n) {
    // Zipf-ish process choice, then a skewed walk down the call tree.
    const proc = Math.floor(PROCS.length * rnd() ** 2.5);
    const frames = [PROCS[proc]];
    let node = mix(proc, seed);
    // Two hashes of the name indices: equal stacks always collide, so every kept stack is
    // unique (a chance collision of different stacks just drops one) — without a Set of
    // joined strings, whose garbage would inflate the peak RSS measured after.
    let h1 = proc + 1;
    let h2 = proc + 7;
    const depth = 5 + Math.floor(rnd() * 36);
    const kdepth = rnd() < 0.35 ? Math.min(depth - 2, 3 + Math.floor(rnd() * 10)) : 0;
    for (let d = 1; d < depth; d++) {
      const inKernel = d >= depth - kdepth;
      const fanout = d < 4 ? 3 : d < 12 ? 6 : 10;
      const k = Math.floor(fanout * rnd() ** 3);
      node = mix(node, k + (inKernel ? 1000 : 0));
      const name = inKernel ? 100_000 + (node % kernel.length) : node % user.length;
      frames.push(inKernel ? kernel[name - 100_000] : user[name]);
      h1 = mix(h1, name);
      h2 = Math.imul(h2 ^ name, 0x01000193) >>> 0;
    }
    const key = (h1 >>> 0) * 2 ** 21 + (h2 & 0x1fffff);
    if (seen.has(key)) continue;
    seen.add(key);
    stacks.push({ frames, count: 0 });
  }
  // Counts: Zipf over a random rank order.
  const rank = Array.from(stacks.keys());
  for (let i = rank.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [rank[i], rank[j]] = [rank[j], rank[i]];
  }
  for (let r = 0; r < rank.length; r++) stacks[rank[r]].count = Math.max(1, Math.round(30_000 / (r + 1) ** 0.9));
  return stacks;
}
