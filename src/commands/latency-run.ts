// The run loop shared by the latency tools' commands: tick, snapshot, hand to the sink,
// summary at the end (Ctrl-C included), capture, and close on every path.
import { LatencyCollector, type LatencySource } from '../collector/latency-collector.js';
import { runTicks, type Stopper, type TickPlan } from '../collector/ticks.js';
import { jsonSink, plainSink, latencyRecord, type LatencyOutputSpec, type LatencySink } from '../output/latency-output.js';
import { makeCapture, writeCapture } from '../capture/capture.js';
import type { Histogram } from '../histogram/loglinear.js';

export interface LatencyRun<R extends { key: string; hist?: Histogram }, E> {
  session: LatencySource<R, E> & { close(): void };
  /** Created before the session started, so Ctrl-C during start-up is a normal end too. */
  stop: Stopper;
  plan: TickPlan;
  mode: 'json' | 'plain' | 'live';
  capturePath?: string;
  spec: LatencyOutputSpec<R, E>;
}

export async function runLatencyTool<R extends { key: string; hist?: Histogram }, E>(run: LatencyRun<R, E>): Promise<void> {
  const started = new Date();
  const stop = run.stop;
  const collector = new LatencyCollector(run.session);
  const intervals: unknown[] = [];
  let sink: LatencySink<R, E>;
  try {
    if (run.mode === 'live') {
      // Ink and React load only here: scripted runs never pay for them.
      const { liveLatencySink } = await import('../views/latency-live.js');
      sink = await liveLatencySink(run.spec, stop.stop, plainSink(run.spec));
    } else {
      sink = run.mode === 'json' ? jsonSink(run.spec) : plainSink(run.spec);
    }
    const tick = () => {
      const s = collector.interval();
      if (run.capturePath) intervals.push(latencyRecord(run.spec, s));
      sink.interval(s, collector.summary());
    };
    await runTicks(run.plan, stop.signal, tick);
    // Stopped between ticks (Ctrl-C, q): what came since the last tick is a last, short interval.
    if (stop.signal.aborted) tick();
    const summary = collector.summary();
    await sink.summary(summary);
    if (run.capturePath) {
      const record = latencyRecord(run.spec, summary);
      writeCapture(run.capturePath, makeCapture(run.spec.tool, started, summary.overhead, { meta: run.spec.meta, intervals, summary: record }));
    }
  } finally {
    collector.close();
    run.session.close();
    stop.dispose();
  }
}

