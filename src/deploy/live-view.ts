/**
 * Two ways to show the live view. In an interactive terminal, one line per function through the framework's v3
 * progress API (`utils.progress`), redrawn at each poll with a countdown. Elsewhere (CI, pipes), plain log lines,
 * printed only when a function's line changes. Both end with the closing report: per function whose rollout ended,
 * the new version against the previous one over the rollout.
 *
 * Serverless Framework v4 gets plain lines everywhere: its progress API draws one spinner line, showing the first
 * task's text and "(and N more tasks)" for the others, and during a deploy the first task is the framework's own
 * ("Updating AWS CloudFormation stack"), so redrawn lines of ours would never show. (Its rule for an interactive
 * terminal also differs: `CI` set to anything, even empty, means not interactive.) Its log lines are written above
 * the spinner, so plain lines read well there. Should the progress API throw, the view goes on in plain lines.
 */
import type { FrameworkProgress, ProgressLine } from '../log';
import { closingReport, progressLine } from './live-view-text';
import type { RolloutView } from './rollout-model';
import type { ProgressSink } from './rollout-watcher';

/** The framework's own rule (@serverless/utils/log-reporters/node.js): both ends are terminals and CI is not set. */
export function isInteractive(
  streams: { stdin?: { isTTY?: boolean }; stdout?: { isTTY?: boolean } } = process,
  env: Record<string, string | undefined> = process.env,
): boolean {
  return Boolean(streams.stdin?.isTTY && streams.stdout?.isTTY && !env.CI);
}

export const LINE_PREFIX = '[traffic] ';

/** Plain lines: each function's line is printed when it differs from the last one printed for it. */
export function plainSink(print: (line: string) => void): ProgressSink {
  const last = new Map<string, string>();
  const emit = (views: readonly RolloutView[], now: Date): void => {
    for (const view of views) {
      const line = progressLine(view, { now, countdown: false });
      if (last.get(view.name) === line) continue;
      last.set(view.name, line);
      print(`${LINE_PREFIX}${line}`);
    }
  };
  // Closing does not repeat "waiting" for a function no deployment came for: the deploy says why.
  return {
    update: emit,
    close: (views, now) => {
      emit(
        views.filter((v) => v.phase !== 'waiting'),
        now,
      );
      for (const line of closingReport(views)) print(`${LINE_PREFIX}${line}`);
    },
  };
}

/** Redrawn lines through the framework's progress API; on close the lines go and the final state is printed once. */
export function interactiveSink(progress: FrameworkProgress, print: (line: string) => void): ProgressSink {
  const lines = new Map<string, ProgressLine>();
  return {
    update(views, now) {
      for (const view of views) {
        let line = lines.get(view.name);
        if (!line) {
          line = progress.get(`traffic-shift-${view.name}`);
          lines.set(view.name, line);
        }
        line.notice(progressLine(view, { now, countdown: true }));
      }
    },
    close(views, now) {
      for (const line of lines.values()) line.remove();
      lines.clear();
      for (const view of views) {
        if (view.phase !== 'waiting') print(`${LINE_PREFIX}${progressLine(view, { now, countdown: false })}`);
      }
      for (const line of closingReport(views)) print(`${LINE_PREFIX}${line}`);
    },
  };
}

/** v4's progress object is itself a line (it has `notice`); v3's is a factory of lines (see ../log.ts). */
export function drawsOneLine(progress: FrameworkProgress): boolean {
  return typeof progress.notice === 'function';
}

export function chooseSink(
  progress: FrameworkProgress | undefined,
  print: (line: string) => void,
  interactive: boolean,
): ProgressSink {
  if (!progress || !interactive || drawsOneLine(progress)) return plainSink(print);
  return withFallback(interactiveSink(progress, print), plainSink(print), print);
}

/** `primary` until it throws; then, after one line saying so, `fallback` for the rest of the view. */
export function withFallback(
  primary: ProgressSink,
  fallback: ProgressSink,
  print: (line: string) => void,
): ProgressSink {
  let current = primary;
  const run = (call: (sink: ProgressSink) => void): void => {
    if (current === fallback) return call(fallback);
    try {
      call(primary);
    } catch (error) {
      current = fallback;
      print(
        `${LINE_PREFIX}the progress display failed (${error instanceof Error ? error.message : String(error)}); plain lines from here on.`,
      );
      call(fallback);
    }
  };
  return {
    update: (views, now) => run((sink) => sink.update(views, now)),
    close: (views, now) => run((sink) => sink.close(views, now)),
  };
}
