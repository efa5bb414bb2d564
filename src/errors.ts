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
  | 'TRAFFIC_SHIFT_INVALID_SETTING'
  | 'TRAFFIC_SHIFT_LOGICAL_ID_COLLISION'
  | 'TRAFFIC_SHIFT_MISSING_RESOURCE'
  | 'TRAFFIC_SHIFT_BYPASS'
  | 'TRAFFIC_SHIFT_RESOURCE_LIMIT'
  | 'TRAFFIC_SHIFT_PLUGIN_ORDER'
  | 'TRAFFIC_SHIFT_SPLIT_STACKS';

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
