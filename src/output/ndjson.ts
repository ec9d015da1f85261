// --json: one JSON object per line on stdout (or stderr when stdout carries an output file).
import { results } from './results.js';

export function writeNdjson(record: unknown): void {
  results().write(JSON.stringify(record) + '\n');
}
