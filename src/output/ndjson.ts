// --json: one JSON object per line on stdout.
export function writeNdjson(record: unknown): void {
  process.stdout.write(JSON.stringify(record) + '\n');
}
