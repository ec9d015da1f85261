// The live sink: renders LatencyApp with Ink and feeds it snapshots through a store.
// At the end the app unmounts and the summary goes to `after` (the caller's plain sink),
// so it stays in the scrollback. Loaded with a dynamic import only when the output is a TTY.
import { render } from 'ink';
import type { Histogram } from '../histogram/loglinear.js';
import type { LatencyOutputSpec, LatencySink } from '../model/latency.js';
import { createLatencyStore } from './store.js';
import { LatencyApp } from './latency-app.js';

export async function liveLatencySink<R extends { key: string; hist?: Histogram }, E>(
  spec: LatencyOutputSpec<R, E>,
  onQuit: () => void,
  after: LatencySink<R, E>,
): Promise<LatencySink<R, E>> {
  const store = createLatencyStore<R, E>();
  const app = render(<LatencyApp spec={spec} store={store} onQuit={onQuit} />, {
    stdout: process.stdout,
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: 10,
  });
  let finished = false;
  return {
    interval: (s, total) => {
      if (!finished) store.push(s, total);
    },
    async summary(s) {
      if (!finished) {
        finished = true;
        // The last frame is empty (the app renders nothing once done): the live table
        // is erased and the plain summary below takes its place.
        store.finish(s);
        await new Promise((r) => setImmediate(r)); // React applies store updates asynchronously
        const exited = app.waitUntilExit(); // before unmount: Ink settles only a promise it already made
        app.unmount();
        await exited;
      }
      await after.summary(s);
    },
  };
}
