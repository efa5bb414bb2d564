/**
 * Errors of the deploy-time features (traffic commands, deploy checks). Like `ServerlessError` in ../errors.ts, the
 * framework shows them as user errors (message only, no stack trace) because of the name; the codes are stable.
 */
export type TrafficErrorCode =
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

export class TrafficError extends Error {
  constructor(
    message: string,
    readonly code: TrafficErrorCode,
  ) {
    super(message);
    this.name = 'ServerlessError';
  }
}
