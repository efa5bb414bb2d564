/**
 * A fake of Serverless Framework v4's progress API as plugins get it (`utils.progress`), modelled on what v4's logger
 * does: `utils.progress` is the framework's own "main" task; `get(name)` returns another task of the same registry;
 * `notice(text)` sets a task's text and `remove()` clears it. One spinner line is drawn: the first task (in the
 * order they were created) that has a text, followed by "(and N more tasks)" when others have one too. Log lines
 * are written above the spinner.
 */
import type { FrameworkProgress, ProgressLine } from '../../../src/log';

export interface V4Progress {
  /** What plugins receive as `utils.progress`. */
  progress: FrameworkProgress & ProgressLine;
  /** Every text the spinner line showed, in order. */
  spinner: string[];
}

export function v4Progress(): V4Progress {
  const tasks = new Map<string, { text?: string }>();
  const spinner: string[] = [];
  const draw = (): void => {
    const shown = [...tasks.values()].filter((t) => t.text);
    const first = shown[0];
    if (!first) return;
    const more = shown.length - 1;
    spinner.push(more > 0 ? `${first.text} (and ${more} more ${more < 2 ? 'task' : 'tasks'})` : (first.text as string));
  };
  const task = (name: string): FrameworkProgress & ProgressLine => {
    const key = `s:${name}`;
    if (!tasks.has(key)) tasks.set(key, {});
    const state = tasks.get(key) as { text?: string };
    return {
      get: (other: string) => task(other),
      notice: (text: string) => {
        state.text = text;
        draw();
      },
      remove: () => {
        delete state.text;
        draw();
      },
    };
  };
  return { progress: task('main'), spinner };
}
