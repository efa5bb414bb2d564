/**
 * An error the framework shows as a user error (message only, no stack trace): Serverless v3 recognises user
 * errors by the name `ServerlessError`. `code` is stable and documented; the framework never prints it, so every
 * message ends with it too (`… [TRAFFIC_SHIFT_INVALID_SETTING]`), and the errors table in the docs can be found by it.
 */
export class ServerlessError extends Error {
  constructor(
    message: string,
    readonly code: ErrorCode,
  ) {
    super(`${message} [${code}]`);
    this.name = 'ServerlessError';
  }
}

export type ErrorCode =
  // Package time: the settings and the template.
  | 'TRAFFIC_SHIFT_INVALID_SETTING'
  | 'TRAFFIC_SHIFT_LOGICAL_ID_COLLISION'
  | 'TRAFFIC_SHIFT_MISSING_RESOURCE'
  | 'TRAFFIC_SHIFT_BYPASS'
  | 'TRAFFIC_SHIFT_RESOURCE_LIMIT'
  | 'TRAFFIC_SHIFT_PLUGIN_ORDER'
  | 'TRAFFIC_SHIFT_SPLIT_STACKS'
  /** Another plugin (serverless-plugin-canary-deployments, or this one listed twice) also defines deploymentSettings. */
  | 'TRAFFIC_SHIFT_PLUGIN_CONFLICT'
  /** Another alias of a shifted function has the alias's name, in the template or in the deployed stack. */
  | 'TRAFFIC_SHIFT_ALIAS_NAME_TAKEN'
  // Deploy time: the traffic commands and the deploy's checks.
  /** `sls deploy` refused: an alias is left weighted by `serverless traffic shift`. */
  | 'TRAFFIC_SHIFT_MANUAL_WEIGHT'
  /** A CodeDeploy rollout failed or rolled back (deploy, `traffic watch`). */
  | 'TRAFFIC_SHIFT_ROLLOUT_FAILED'
  /** A command cannot act while CodeDeploy is shifting the alias. */
  | 'TRAFFIC_SHIFT_ROLLOUT_IN_PROGRESS'
  /** A command option is missing or invalid. */
  | 'TRAFFIC_SHIFT_INVALID_OPTION'
  /** The stack, the function or its alias is not deployed. */
  | 'TRAFFIC_SHIFT_NOT_DEPLOYED'
  /** The alias is not in a state the command can act on. */
  | 'TRAFFIC_SHIFT_ALIAS_STATE'
  // Deploy time: AWS failures of the traffic commands (deploy/aws-errors.ts).
  /** AWS could not be reached: network, proxy, region, or no answer in time. */
  | 'TRAFFIC_SHIFT_AWS_UNREACHABLE'
  /** AWS did not accept the credentials: missing, expired or invalid. */
  | 'TRAFFIC_SHIFT_AWS_CREDENTIALS'
  /** The identity lacks an IAM permission (the message names the action). */
  | 'TRAFFIC_SHIFT_AWS_DENIED'
  /** The alias (or another resource) changed while the command ran, e.g. a stale RevisionId. */
  | 'TRAFFIC_SHIFT_CONCURRENT_CHANGE'
  /** AWS throttled the command's requests beyond the SDK's retries. */
  | 'TRAFFIC_SHIFT_AWS_THROTTLED'
  /** Any other error AWS answered with (the message gives its name and text). */
  | 'TRAFFIC_SHIFT_AWS_ERROR';

/**
 * Where a value was written: in `functions.<function>.deploymentSettings` (`own`), or in `custom.deploymentSettings`
 * — for one function (`function` set, not `own`: the defaults as that function inherits them) or for the whole
 * service (no function).
 */
export interface SettingPlace {
  function?: string;
  own?: boolean;
}

/** The place of a value of `fn`'s merged settings: its own when its own settings hold `key`, else the defaults. */
export const placeOf = (fn: string, ownKeys: readonly string[], key: string): SettingPlace => ({
  function: fn,
  own: ownKeys.includes(key.split(/[.[]/)[0] as string),
});

/** `functions.api.deploymentSettings.alias` or `custom.deploymentSettings.alias`: where the user wrote a value. */
export function settingPath(place: SettingPlace, key?: string): string {
  const base = place.own ? `functions.${place.function}.deploymentSettings` : 'custom.deploymentSettings';
  return key === undefined ? base : `${base}.${key}`;
}

/**
 * `Invalid deployment setting: <where> <reason>. <then>` — the reason first (it says what is wrong with the value),
 * then what is accepted or what to do. A value of the defaults found wrong for one function names that function.
 */
export function invalidSetting(place: SettingPlace, key: string, reason: string, then?: string): ServerlessError {
  const applied = !place.own && place.function !== undefined ? ` (as function "${place.function}" inherits it)` : '';
  return new ServerlessError(
    `Invalid deployment setting: ${settingPath(place, key)}${applied} ${reason}.${then ? ` ${then}` : ''}`,
    'TRAFFIC_SHIFT_INVALID_SETTING',
  );
}

/** `Accepted: <what>.` */
export const accepted = (what: string): string => `Accepted: ${what}.`;

export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (typeof value === 'string') return value === '' ? 'an empty string' : truncate(JSON.stringify(value));
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list (${truncate(JSON.stringify(value))})`;
  return `an object (${truncate(JSON.stringify(value))})`;
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The known word closest to `word` (a case-only difference, or a typo of a letter or two), if one is close enough. */
export function closest(word: string, known: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const sameLetters = known.find((k) => k.toLowerCase() === lower);
  if (sameLetters !== undefined) return sameLetters;
  let best: { word: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance <= Math.max(1, Math.floor(candidate.length / 4)) && (!best || distance < best.distance))
      best = { word: candidate, distance };
  }
  return best?.word;
}

/** Edits from one word to the other: a letter inserted, removed, replaced, or two neighbours swapped. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const row = d[i] as number[];
      const above = d[i - 1] as number[];
      row[j] = Math.min(
        (above[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (above[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** `Did you mean "X"? ` when one is close, else nothing. */
export const didYouMean = (word: string, known: readonly string[]): string => {
  const match = closest(word, known);
  return match === undefined || match === word ? '' : `Did you mean "${match}"? `;
};
