/** Where the live view goes: redrawn progress lines in a terminal, plain lines at each change elsewhere. */
import { chooseSink, interactiveSink, isInteractive, plainSink } from '../../../src/deploy/live-view';
import type { FrameworkProgress } from '../../../src/log';
import type { RolloutView } from '../../../src/deploy/rollout-model';
import { at } from './timeline';
import { v4Progress } from './v4-progress';

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

describe("Serverless Framework v4's progress API", () => {
  const done = view({ phase: 'succeeded', percent: 100, next: undefined, tookMs: 325000, finished: true });

  it('shows one spinner line, the framework\'s own first: a redrawn line of ours would only ever read "(and 1 more task)"', () => {
    const v4 = v4Progress();
    v4.progress.notice?.('Updating AWS CloudFormation stack');
    interactiveSink(v4.progress, () => undefined).update([view({})], at(100));
    expect(v4.spinner).toEqual([
      'Updating AWS CloudFormation stack',
      'Updating AWS CloudFormation stack (and 1 more task)',
    ]);
  });

  it('so under v4 the view is plain lines, even in an interactive terminal, and leaves the spinner alone', () => {
    const v4 = v4Progress();
    v4.progress.notice?.('Updating AWS CloudFormation stack');
    const lines: string[] = [];
    const sink = chooseSink(v4.progress, (l) => lines.push(l), true);
    sink.update([view({})], at(100));
    sink.update([view({})], at(105));
    sink.close([done], at(350));
    expect(lines).toEqual([
      '[traffic] api: 10% on version 7, 90% on version 6 (Canary10Percent5Minutes) · step 1/2 · 100% at 08:45:40 UTC',
      '[traffic] api: done, 100% on version 7 (Canary10Percent5Minutes, 5m 25s)',
    ]);
    expect(v4.spinner).toEqual(['Updating AWS CloudFormation stack']);
  });
});

describe('a progress API that throws', () => {
  it('costs one line saying so; the view goes on in plain lines', () => {
    const lines: string[] = [];
    let drawn = 0;
    const broken: FrameworkProgress = {
      get: () => ({
        notice: () => {
          drawn += 1;
          throw new Error('Progress state with name s:traffic-shift-api does not exist.');
        },
        remove: () => undefined,
      }),
    };
    const sink = chooseSink(broken, (l) => lines.push(l), true);
    sink.update([view({})], at(100));
    sink.update([view({ percent: 100, step: { index: 2, count: 2 }, next: undefined })], at(340));
    sink.close([view({ phase: 'succeeded', percent: 100, next: undefined, tookMs: 325000, finished: true })], at(350));
    expect(drawn).toBe(1);
    expect(lines).toEqual([
      '[traffic] the progress display failed (Progress state with name s:traffic-shift-api does not exist.); plain lines from here on.',
      '[traffic] api: 10% on version 7, 90% on version 6 (Canary10Percent5Minutes) · step 1/2 · 100% at 08:45:40 UTC',
      '[traffic] api: 100% on version 7 (Canary10Percent5Minutes) · step 2/2',
      '[traffic] api: done, 100% on version 7 (Canary10Percent5Minutes, 5m 25s)',
    ]);
  });
});
