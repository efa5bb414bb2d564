/** Where the live view goes: redrawn progress lines in a terminal, plain lines at each change elsewhere. */
import { chooseSink, interactiveSink, isInteractive, plainSink } from '../../../src/deploy/live-view';
import type { RolloutView } from '../../../src/deploy/rollout-model';
import { at } from './timeline';

const view = (over: Partial<RolloutView>): RolloutView => ({
  name: 'api',
  alias: 'live',
  phase: 'shifting',
  deploymentId: 'd-1',
  strategy: 'Canary10Percent5Minutes',
  percent: 10,
  fromVersion: '6',
  toVersion: '7',
  step: { index: 1, count: 2 },
  next: { at: at(340), percent: 100 },
  hooks: [],
  alarms: [],
  finished: false,
  failed: false,
  ...over,
});

describe('isInteractive', () => {
  it('follows the framework: both streams are terminals and CI is not set', () => {
    const tty = { stdin: { isTTY: true }, stdout: { isTTY: true } };
    expect(isInteractive(tty, {})).toBe(true);
    expect(isInteractive(tty, { CI: 'true' })).toBe(false);
    expect(isInteractive({ stdin: { isTTY: true }, stdout: { isTTY: false } }, {})).toBe(false);
  });
});

describe('plainSink', () => {
  it('prints a line only when it changes; the countdown is left out so waiting prints nothing new', () => {
    const lines: string[] = [];
    const sink = plainSink((l) => lines.push(l));
    sink.update([view({})], at(100));
    sink.update([view({})], at(105));
    sink.update([view({ percent: 100, step: { index: 2, count: 2 }, next: undefined })], at(340));
    expect(lines).toEqual([
      '[traffic] api: 10% on version 7, 90% on version 6 (Canary10Percent5Minutes) · step 1/2 · 100% at 08:45:40 UTC',
      '[traffic] api: 100% on version 7 (Canary10Percent5Minutes) · step 2/2',
    ]);
  });
});

describe('interactiveSink', () => {
  it('redraws one progress line per function with a countdown, removes it at the end and prints the final state', () => {
    const drawn: string[] = [];
    const removed: string[] = [];
    const printed: string[] = [];
    const progress = {
      get: (name: string) => ({
        notice: (t: string) => drawn.push(`${name} | ${t}`),
        remove: () => removed.push(name),
      }),
    };
    const sink = interactiveSink(progress, (l) => printed.push(l));
    sink.update([view({})], at(100));
    sink.close([view({ phase: 'succeeded', percent: 100, next: undefined, tookMs: 325000, finished: true })], at(350));
    expect(drawn).toEqual([
      'traffic-shift-api | api: 10% on version 7, 90% on version 6 (Canary10Percent5Minutes) · step 1/2 · 100% at 08:45:40 UTC (in 4m 00s)',
    ]);
    expect(removed).toEqual(['traffic-shift-api']);
    expect(printed).toEqual(['[traffic] api: done, 100% on version 7 (Canary10Percent5Minutes, 5m 25s)']);
  });

  it("without the framework's progress API, plain lines even in a terminal", () => {
    const lines: string[] = [];
    chooseSink(undefined, (l) => lines.push(l), true).update([view({})], at(100));
    expect(lines).toHaveLength(1);
  });
});
