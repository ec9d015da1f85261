#!/usr/bin/env node
// Builds every BPF object: bpf/<tool>.bpf.c and test/fixtures/bpf/*.bpf.c -> build/bpf/<name>.bpf.o.
// vmlinux.h is generated from the running kernel's BTF (never committed). Objects are rebuilt only
// when a source, a header or vmlinux.h is newer, so a second run is fast.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { join, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const out = join(root, 'build', 'bpf');
const vmlinuxH = join(root, 'bpf', 'vmlinux.h');
const btf = process.env.HUATUO_BTF || '/sys/kernel/btf/vmlinux';
mkdirSync(out, { recursive: true });

const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);

if (!existsSync(vmlinuxH) || mtime(vmlinuxH) === 0) {
  if (!existsSync(btf)) {
    console.error(`build-bpf: ${btf} is missing: this kernel has no BTF (CONFIG_DEBUG_INFO_BTF=y is needed)`);
    process.exit(4);
  }
  const text = execFileSync('bpftool', ['btf', 'dump', 'file', btf, 'format', 'c'], { maxBuffer: 1 << 30 });
  writeFileSync(vmlinuxH + '.tmp', text);
  renameSync(vmlinuxH + '.tmp', vmlinuxH);
  console.error(`build-bpf: generated bpf/vmlinux.h from ${btf}`);
}

const arch = { x64: 'x86', arm64: 'arm64', s390x: 's390', ppc64: 'powerpc' }[process.arch] ?? process.arch;
const dirs = [join(root, 'bpf'), join(root, 'test', 'fixtures', 'bpf')].filter(existsSync);
const headers = dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.h')).map((f) => join(d, f)));
const newestHeader = Math.max(0, ...headers.map(mtime));

let built = 0;
for (const dir of dirs) {
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.bpf.c'))) {
    const src = join(dir, f);
    const obj = join(out, basename(f, '.c') + '.o');
    if (mtime(obj) > Math.max(mtime(src), newestHeader)) continue;
    const args = [
      '-g', '-O2', '-target', 'bpf', `-D__TARGET_ARCH_${arch}`,
      '-I', join(root, 'bpf'), '-I', dir, '-I', '/usr/include/' + execFileSync('gcc', ['-dumpmachine']).toString().trim(),
      '-Wall', '-Werror', '-Wno-unused-function',
      '-c', src, '-o', obj + '.tmp',
    ];
    try {
      execFileSync('clang', args, { stdio: ['ignore', 'inherit', 'inherit'] });
      // Strip DWARF (keep BTF): objects stay small and load fast.
      execFileSync('llvm-strip', ['-g', obj + '.tmp']);
    } catch {
      console.error(`build-bpf: failed to compile ${src}`);
      process.exit(1);
    }
    renameSync(obj + '.tmp', obj);
    built++;
  }
}
console.error(`build-bpf: ${built} object(s) built in ${out}`);
