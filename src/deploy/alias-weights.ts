/**
 * A Lambda alias and the manual traffic operations on it, as pure decisions: what the alias serves now, and the
 * UpdateAlias request that `shift`, `promote` and `rollback` (with no rollout in progress) send.
 *
 * A weighted alias keeps `FunctionVersion` on the version that serves the rest and gives the other one a share in
 * `RoutingConfig.AdditionalVersionWeights` ({ version: weight 0.0–1.0 }); Lambda allows at most two versions.
 */
import { percent } from './format';
import { ServerlessError } from '../errors';

export interface AliasState {
  functionName: string;
  alias: string;
  /** The version `FunctionVersion` names: it serves everything the additional weights do not. */
  version: string;
  /** Additional versions with their share, in percent. */
  weights: { version: string; percent: number }[];
  revisionId?: string;
}

/** What UpdateAlias receives. */
export interface AliasUpdate {
  FunctionName: string;
  Name: string;
  FunctionVersion: string;
  RoutingConfig: { AdditionalVersionWeights: Record<string, number> };
  RevisionId?: string;
}

export interface AliasResponse {
  FunctionVersion?: string;
  RoutingConfig?: { AdditionalVersionWeights?: Record<string, number> };
  RevisionId?: string;
}

export function aliasState(functionName: string, alias: string, response: AliasResponse): AliasState {
  const weights = Object.entries(response.RoutingConfig?.AdditionalVersionWeights ?? {})
    .filter(([, weight]) => weight > 0)
    .map(([version, weight]) => ({ version, percent: weight * 100 }));
  return {
    functionName,
    alias,
    version: response.FunctionVersion ?? '$LATEST',
    weights,
    ...(response.RevisionId !== undefined && { revisionId: response.RevisionId }),
  };
}

export const isWeighted = (state: AliasState): boolean => state.weights.length > 0;

/** Share of the main version, in percent. */
export const mainShare = (state: AliasState): number => 100 - state.weights.reduce((sum, w) => sum + w.percent, 0);

/** `version 6 (80%), version 7 (20%)` or `version 7 (100%)`. */
export function describeAlias(state: AliasState): string {
  return [
    `version ${state.version} (${percent(mainShare(state))})`,
    ...state.weights.map((w) => `version ${w.version} (${percent(w.percent)})`),
  ].join(', ');
}

/** `--weight 20` or `--weight 12.5`: a share strictly between 0 and 100 percent. */
export function parseWeight(text: unknown): number {
  const value =
    typeof text === 'number'
      ? text
      : typeof text === 'string' && /^\s*\d+(\.\d+)?\s*%?\s*$/.test(text)
        ? Number.parseFloat(text)
        : NaN;
  if (!(value > 0 && value < 100)) {
    throw new ServerlessError(
      `--weight must be the percentage of traffic for the new version, more than 0 and less than 100 (e.g. --weight 10), not ${JSON.stringify(text ?? null)}. ` +
        'To move all traffic use "serverless traffic promote"; to remove the weight use "serverless traffic rollback".',
      'TRAFFIC_SHIFT_INVALID_OPTION',
    );
  }
  return value;
}

/** The highest published version number, or undefined when only $LATEST exists. */
export function latestPublished(versions: readonly string[]): string | undefined {
  const numbers = versions.filter((v) => /^\d+$/.test(v)).map(Number);
  return numbers.length > 0 ? String(Math.max(...numbers)) : undefined;
}

export function planShift(state: AliasState, weight: number, newVersion: string): AliasUpdate {
  if (newVersion === state.version) {
    throw new ServerlessError(
      `Alias "${state.alias}" of ${state.functionName} already serves version ${newVersion}: there is nothing to shift to. ` +
        'Deploy new code first, or name another version with --to-version.',
      'TRAFFIC_SHIFT_ALIAS_STATE',
    );
  }
  const other = state.weights.find((w) => w.version !== newVersion);
  if (other) {
    throw new ServerlessError(
      `Alias "${state.alias}" of ${state.functionName} already gives ${percent(other.percent)} to version ${other.version}; a Lambda alias ` +
        'can point at two versions only. Finish that shift with "serverless traffic promote" or undo it with "serverless traffic rollback" first.',
      'TRAFFIC_SHIFT_ALIAS_STATE',
    );
  }
  return update(state, state.version, { [newVersion]: weight / 100 });
}

export function planPromote(state: AliasState): AliasUpdate {
  const [weighted] = state.weights;
  if (!weighted) {
    throw new ServerlessError(
      `Alias "${state.alias}" of ${state.functionName} serves version ${state.version} only: there is no weighted version to promote. ` +
        'Start with "serverless traffic shift --function <name> --weight <percent>".',
      'TRAFFIC_SHIFT_ALIAS_STATE',
    );
  }
  return update(state, weighted.version, {});
}

/** The update that removes every additional weight, or undefined when there is none. */
export function planClearWeight(state: AliasState): AliasUpdate | undefined {
  return isWeighted(state) ? update(state, state.version, {}) : undefined;
}

function update(state: AliasState, version: string, weights: Record<string, number>): AliasUpdate {
  return {
    FunctionName: state.functionName,
    Name: state.alias,
    FunctionVersion: version,
    RoutingConfig: { AdditionalVersionWeights: weights },
    // Fails instead of overwriting when someone changed the alias since it was read.
    ...(state.revisionId !== undefined && { RevisionId: state.revisionId }),
  };
}

/** Why `sls deploy` refuses to start, and how to get out of it. */
export function handWeightRefusal(weighted: readonly { name: string; state: AliasState }[], cliSuffix: string): string {
  const lines = weighted.map(
    ({ name, state }) =>
      `  - ${name}: alias "${state.alias}" serves ${describeAlias(state)}\n` +
      `      finish it: serverless traffic promote --function ${name}${cliSuffix}\n` +
      `      undo it:   serverless traffic rollback --function ${name}${cliSuffix}`,
  );
  return [
    `Deploy refused: ${weighted.length === 1 ? 'an alias is' : `${weighted.length} aliases are`} left weighted by "serverless traffic shift". ` +
      'CodeDeploy cannot shift an alias that already points at two versions, so this deploy would fail halfway:',
    ...lines,
    'Then run the deploy again.',
  ].join('\n');
}
