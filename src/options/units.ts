// Durations on the command line (parsed in values.ts).
import { intArg, secondsArg } from './values.js';

// Parsers live in values.ts (one mechanism for every option); these names are kept for callers.
export { parseTimeNs } from './values.js';
export const parseSeconds = secondsArg();
export const parsePositiveInt = intArg({ min: 1 });

// Formatting lives in model/units.ts (sinks and views use it); re-exported for callers.
export { formatIn, formatDuration } from '../model/units.js';
