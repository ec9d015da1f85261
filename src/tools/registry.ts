// The one list of tools: the CLI, `huatuo check` and the tests all read it (libbpf-tools' APPS).
// Commands are imported lazily so `huatuo schedlat` loads only what schedlat needs.
import type { Command } from 'commander';

export interface ToolEntry {
  name: string;
  /** BPF object stem in build/bpf/, null for commands that load none. */
  bpf: string | null;
  command(): Promise<Command>;
}

export const TOOLS: ToolEntry[] = [
  { name: 'schedlat', bpf: 'schedlat', command: async () => (await import('../commands/schedlat.js')).schedlatCommand() },
  { name: 'profile', bpf: 'profile', command: async () => (await import('../commands/profile.js')).profileCommand() },
  { name: 'report', bpf: null, command: async () => (await import('../commands/report.js')).reportCommand() },
  { name: 'check', bpf: null, command: async () => (await import('../commands/check.js')).checkCommand() },
  { name: 'containers', bpf: null, command: async () => (await import('../commands/containers.js')).containersCommand() },
];
