// A small, known profile for the browser tests: a database and a Node.js process, user,
// kernel (`_[k]`) and JIT (`_[j]`) frames, and one frame name that tries to close <script>.
import type { FoldedStack } from '../../src/model/stack.js';

const fold = (line: string): FoldedStack => {
  const at = line.lastIndexOf(' ');
  return { frames: line.slice(0, at).split(';'), count: Number(line.slice(at + 1)) };
};

export const EVIL = '</script><script>window.__pwned=1</script><!--';

export const STACKS: FoldedStack[] = [
  'postgres;main;PostgresMain;exec_simple_query;PortalRun;ExecutorRun;ExecSeqScan;heap_getnext 120',
  'postgres;main;PostgresMain;exec_simple_query;PortalRun;ExecutorRun;ExecSeqScan;ExecQual 60',
  'postgres;main;PostgresMain;exec_simple_query;pg_parse_query;raw_parser 25',
  'postgres;main;PostgresMain;pq_getbyte;secure_read;__libc_recv;entry_SYSCALL_64_[k];do_syscall_64_[k];__x64_sys_recvfrom_[k];tcp_recvmsg_[k] 30',
  'postgres;main;PostgresMain;ReadyForQuery;pq_flush;__libc_send;entry_SYSCALL_64_[k];do_syscall_64_[k];__x64_sys_sendto_[k];tcp_sendmsg_[k];tcp_write_xmit_[k] 35',
  'node;uv_run;uv__io_poll;epoll_wait;entry_SYSCALL_64_[k];do_syscall_64_[k];__x64_sys_epoll_wait_[k];schedule_[k] 15',
  'node;uv_run;uv__run_timers;LazyCompile:*processTimers_[j];LazyCompile:*listOnTimeout_[j];JSON.parse_[j] 40',
  'node;uv_run;uv__run_timers;LazyCompile:*processTimers_[j];LazyCompile:*listOnTimeout_[j];Builtins_StringPrototypeReplace_[j] 20',
  'swapper/0;secondary_startup_64_[k];cpu_startup_entry_[k];do_idle_[k];default_idle_call_[k] 50',
].map(fold);
STACKS.push({ frames: ['node', EVIL], count: 5 });

export const TOTAL = STACKS.reduce((n, s) => n + s.count, 0);

/** A frame's name without its kind suffix. */
export const bare = (label: string): string => label.replace(/_\[[kj]\]$/, '');

/**
 * The share of samples a search matches, counting each sample once however many of its
 * frames match (a match inside a matched ancestor is not counted twice), in percent.
 */
export function matchedPercent(re: RegExp, name: (label: string) => string = bare): number {
  const hit = STACKS.filter((s) => s.frames.some((f) => re.test(name(f)))).reduce((n, s) => n + s.count, 0);
  return (100 * hit) / TOTAL;
}
