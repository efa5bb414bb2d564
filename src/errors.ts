/**
 * An error the framework shows as a user error (message only, no stack trace): Serverless v3 recognises user
 * errors by the name `ServerlessError`. `code` is stable and documented so users and tests can match on it.
 */
export class ServerlessError extends Error {
  constructor(
    message: string,
    readonly code: ErrorCode,
  ) {
    super(message);
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
  | 'TRAFFIC_SHIFT_ALIAS_STATE';

/** `functions.api.deploymentSettings.alias` or `custom.deploymentSettings.alias`: where the user wrote a value. */
export function settingPath(functionName: string | undefined, key?: string): string {
  const base =
    functionName === undefined ? 'custom.deploymentSettings' : `functions.${functionName}.deploymentSettings`;
  return key === undefined ? base : `${base}.${key}`;
}

export function invalidSetting(
  functionName: string | undefined,
  key: string,
  value: unknown,
  expected: string,
): ServerlessError {
  const where = functionName === undefined ? 'the service defaults' : `function "${functionName}"`;
  return new ServerlessError(
    `Invalid deployment setting for ${where}: ${settingPath(functionName, key)} is ${describeValue(value)}; expected ${expected}.`,
    'TRAFFIC_SHIFT_INVALID_SETTING',
  );
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `a list (${truncate(JSON.stringify(value))})`;
  return `an object (${truncate(JSON.stringify(value))})`;
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
