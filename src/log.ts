/**
 * The framework's logging (`log`, `writeText`, `progress`, passed to plugins as `utils`; v3's shape, which v4 keeps
 * for `log` and `writeText`) behind a small facade, with a console fallback for frameworks that do not pass it.
 */
export interface Logger {
  notice(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  /** An error's words on standard error (the command's JSON keeps standard output). */
  error(message: string): void;
  /** Command output on stdout (the plan): not decorated, not silenced by --verbose settings. */
  writeText(text: string): void;
}

interface FrameworkLog {
  (message: string): void;
  notice?: (message: string) => void;
  info?: (message: string) => void;
  warning?: (message: string) => void;
  error?: (message: string) => void;
}

/** One redrawn line of the framework's v3 progress footer (`utils.progress.get(name)`). */
export interface ProgressLine {
  notice(text: string): void;
  remove(): void;
}

/**
 * The framework's progress API for plugins; it draws only in interactive terminals. v3: a factory of lines, each
 * redrawn in a footer. v4: `utils.progress` is itself a line (the framework's "main" one, with `notice`), and its
 * `get` returns others, but only one spinner shows: the first line's text and "(and N more tasks)".
 */
export interface FrameworkProgress {
  get(name: string): ProgressLine;
  /** Present on v4's progress object only. */
  notice?: (text: string) => void;
}

export interface FrameworkUtils {
  log?: FrameworkLog;
  writeText?: (text: string) => void;
  progress?: FrameworkProgress;
}

export function createLogger(utils: FrameworkUtils | undefined): Logger {
  const log = utils?.log;
  const writeText = utils?.writeText;
  return {
    notice: (m) => (log?.notice ? log.notice(m) : console.log(m)),
    info: (m) => (log?.info ? log.info(m) : undefined),
    warning: (m) => (log?.warning ? log.warning(m) : console.warn(`Warning: ${m}`)),
    error: (m) => (log?.error ? log.error(m) : console.error(`Error: ${m}`)),
    writeText: (t) => (writeText ? writeText(t) : console.log(t)),
  };
}
