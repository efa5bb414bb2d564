/**
 * The thin I/O layer: AWS SDK v3 clients and one function per read or write the deploy-time features make, each
 * turning the SDK's shapes into the facts of ./model.ts. Batch limits (CodeDeploy API reference): BatchGetDeployments
 * and BatchGetDeploymentTargets take at most 25 ids; BatchGetDeploymentGroups is chunked by 25 as well (its limit is
 * not documented in the SDK); DescribeAlarms takes at most 100 names; GetMetricData at most 500 queries.
 */
import {
  CloudFormationClient,
  ListStackResourcesCommand,
  type ListStackResourcesCommandOutput,
} from '@aws-sdk/client-cloudformation';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type DescribeAlarmsCommandOutput,
  type GetMetricDataCommandOutput,
} from '@aws-sdk/client-cloudwatch';
import {
  BatchGetDeploymentGroupsCommand,
  BatchGetDeploymentsCommand,
  BatchGetDeploymentTargetsCommand,
  CodeDeployClient,
  GetDeploymentConfigCommand,
  ListDeploymentsCommand,
  ListDeploymentTargetsCommand,
  StopDeploymentCommand,
  type DeploymentInfo,
  type DeploymentStatus,
  type DeploymentTarget,
} from '@aws-sdk/client-codedeploy';
import {
  GetAliasCommand,
  LambdaClient,
  ListVersionsByFunctionCommand,
  UpdateAliasCommand,
  type ListVersionsByFunctionCommandOutput,
} from '@aws-sdk/client-lambda';
import chunk from 'lodash/chunk';
import type { Strategy } from '../config/strategy';
import { CONNECT_TIMEOUT_MS, MAX_ATTEMPTS, operationName, REQUEST_TIMEOUT_MS, tagOperation } from './aws-errors';
import { aliasState, describeAlias, type AliasState, type AliasUpdate } from './alias-weights';
import type { StackResource } from './stack-discovery';
import { UNFINISHED_STATUSES, type AlarmFacts, type DeploymentFacts, type TargetFacts } from './rollout-model';
import { predefinedStrategy, strategyOfRouting } from './traffic-schedule';
import {
  planRequests,
  readAnswers,
  type HealthWindow,
  type MetricRequest,
  type MetricValues,
  type VersionHealth,
} from './version-health';

export interface AwsClients {
  cloudFormation: CloudFormationClient;
  codeDeploy: CodeDeployClient;
  lambda: LambdaClient;
  cloudWatch: CloudWatchClient;
}

export type Credentials = NonNullable<ConstructorParameters<typeof CodeDeployClient>[0]>['credentials'];

export interface ClientSettings {
  region: string;
  /** Undefined: the SDK's default chain. */
  credentials?: Credentials;
  /** Another endpoint (a local emulator in tests). */
  endpoint?: string;
  /** How long a connection may take to open and an answer to arrive (default: CONNECT_TIMEOUT_MS, REQUEST_TIMEOUT_MS). */
  timeouts?: { connectMs: number; requestMs: number };
}

export function createClients(settings: ClientSettings): AwsClients {
  const config = {
    region: settings.region,
    // A request that hangs must not hold a command or a deploy's end: it fails within a bounded time (aws-errors.ts).
    requestHandler: {
      connectionTimeout: settings.timeouts?.connectMs ?? CONNECT_TIMEOUT_MS,
      requestTimeout: settings.timeouts?.requestMs ?? REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
    maxAttempts: MAX_ATTEMPTS,
    ...(settings.credentials !== undefined && { credentials: settings.credentials }),
    ...(settings.endpoint !== undefined && { endpoint: settings.endpoint }),
  };
  return {
    cloudFormation: namingFailures(new CloudFormationClient(config)),
    codeDeploy: namingFailures(new CodeDeployClient(config)),
    lambda: namingFailures(new LambdaClient(config)),
    cloudWatch: namingFailures(new CloudWatchClient(config)),
  };
}

interface WithMiddleware {
  middlewareStack: {
    add(
      middleware: (
        next: (args: unknown) => Promise<unknown>,
        context: { clientName?: string; commandName?: string },
      ) => (args: unknown) => Promise<unknown>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

/** Every error a client throws (the SDK's, the network's, the credentials') names the operation that failed. */
function namingFailures<T>(client: T): T {
  (client as unknown as WithMiddleware).middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        tagOperation(error, operationName(context.clientName, context.commandName));
        throw error;
      }
    },
    { step: 'initialize', name: 'trafficShiftOperationName' },
  );
  return client;
}

export const DEPLOYMENTS_PER_CALL = 25;
export const GROUPS_PER_CALL = 25;
export const ALARMS_PER_CALL = 100;
/** Concurrent Lambda reads for commands that read each alias (Lambda has no batch read of aliases). */
export const ALIAS_READS_IN_FLIGHT = 8;

/**
 * The stack's resources and those of its nested stacks (one level: serverless-plugin-split-stacks moves versions,
 * alarms, or whole functions with their aliases and deployment groups there, keeping their logical ids), or undefined
 * when the stack does not exist. One ListStackResources per 100 resources of each stack, 8 stacks in flight.
 */
export async function listStackResources(
  cloudFormation: CloudFormationClient,
  stackName: string,
): Promise<StackResource[] | undefined> {
  const root = await listOneStack(cloudFormation, stackName);
  if (!root) return undefined;
  const nested = root.filter((r) => r.type === 'AWS::CloudFormation::Stack' && r.physicalId);
  const inside = await mapLimit(nested, 8, (r) => listOneStack(cloudFormation, r.physicalId as string));
  return [...root, ...inside.flatMap((resources) => resources ?? [])];
}

async function listOneStack(
  cloudFormation: CloudFormationClient,
  stackName: string,
): Promise<StackResource[] | undefined> {
  const resources: StackResource[] = [];
  let token: string | undefined;
  do {
    let page: ListStackResourcesCommandOutput;
    try {
      page = await cloudFormation.send(
        new ListStackResourcesCommand({ StackName: stackName, ...(token && { NextToken: token }) }),
      );
    } catch (error) {
      if (/does not exist/.test(errorText(error))) return undefined;
      throw error;
    }
    for (const r of page.StackResourceSummaries ?? []) {
      resources.push({
        logicalId: r.LogicalResourceId ?? '',
        type: r.ResourceType ?? '',
        ...(r.PhysicalResourceId && { physicalId: r.PhysicalResourceId }),
      });
    }
    token = page.NextToken;
  } while (token);
  return resources;
}

/** Ids of the account's deployments in this region created since `since`, or in one of `statuses`; follows pages. */
export async function listDeploymentIds(
  codeDeploy: CodeDeployClient,
  filter: { since?: Date; statuses?: readonly string[] },
): Promise<string[]> {
  const ids: string[] = [];
  let token: string | undefined;
  do {
    const page = await codeDeploy.send(
      new ListDeploymentsCommand({
        ...(filter.since && { createTimeRange: { start: filter.since } }),
        ...(filter.statuses && { includeOnlyStatuses: filter.statuses as DeploymentStatus[] }),
        ...(token && { nextToken: token }),
      }),
    );
    ids.push(...(page.deployments ?? []));
    token = page.nextToken;
  } while (token);
  return ids;
}

export function toDeploymentFacts(info: DeploymentInfo): DeploymentFacts | undefined {
  if (!info.deploymentId) return undefined;
  const rollback = info.rollbackInfo;
  return {
    id: info.deploymentId,
    status: info.status ?? 'Unknown',
    ...(info.applicationName && { applicationName: info.applicationName }),
    ...(info.deploymentGroupName && { groupName: info.deploymentGroupName }),
    ...(info.creator && { creator: info.creator }),
    ...(info.deploymentConfigName && { configName: info.deploymentConfigName }),
    ...(info.createTime && { createTime: info.createTime }),
    ...(info.startTime && { startTime: info.startTime }),
    ...(info.completeTime && { completeTime: info.completeTime }),
    ...(info.errorInformation && {
      error: {
        ...(info.errorInformation.code && { code: info.errorInformation.code }),
        ...(info.errorInformation.message && { message: info.errorInformation.message }),
      },
    }),
    ...(rollback && {
      rollbackInfo: {
        ...(rollback.rollbackDeploymentId && { rollbackDeploymentId: rollback.rollbackDeploymentId }),
        ...(rollback.rollbackTriggeringDeploymentId && {
          rollbackTriggeringDeploymentId: rollback.rollbackTriggeringDeploymentId,
        }),
        ...(rollback.rollbackMessage && { rollbackMessage: rollback.rollbackMessage }),
      },
    }),
  };
}

/** One BatchGetDeployments call per 25 ids. Ids CodeDeploy does not return are `missing`. */
export async function getDeployments(
  codeDeploy: CodeDeployClient,
  ids: readonly string[],
): Promise<{ found: DeploymentFacts[]; missing: string[] }> {
  const found: DeploymentFacts[] = [];
  for (const batch of chunk(ids, DEPLOYMENTS_PER_CALL)) {
    const result = await codeDeploy.send(new BatchGetDeploymentsCommand({ deploymentIds: batch }));
    for (const info of result.deploymentsInfo ?? []) {
      const facts = toDeploymentFacts(info);
      if (facts) found.push(facts);
    }
  }
  const seen = new Set(found.map((d) => d.id));
  return { found, missing: ids.filter((id) => !seen.has(id)) };
}

export interface GroupFacts {
  name: string;
  alarms: string[];
  lastAttempted?: { id: string; status?: string };
}

/** One BatchGetDeploymentGroups call per 25 groups of the application. */
export async function getGroups(
  codeDeploy: CodeDeployClient,
  applicationName: string,
  names: readonly string[],
): Promise<GroupFacts[]> {
  const groups: GroupFacts[] = [];
  for (const batch of chunk(names, GROUPS_PER_CALL)) {
    const result = await codeDeploy.send(
      new BatchGetDeploymentGroupsCommand({ applicationName, deploymentGroupNames: batch }),
    );
    for (const info of result.deploymentGroupsInfo ?? []) {
      if (!info.deploymentGroupName) continue;
      const alarmConfig = info.alarmConfiguration;
      const last = info.lastAttemptedDeployment;
      groups.push({
        name: info.deploymentGroupName,
        alarms:
          alarmConfig?.enabled === false ? [] : (alarmConfig?.alarms ?? []).flatMap((a) => (a.name ? [a.name] : [])),
        ...(last?.deploymentId && {
          lastAttempted: { id: last.deploymentId, ...(last.status && { status: last.status }) },
        }),
      });
    }
  }
  return groups;
}

/** The schedule of a deployment configuration: predefined ones without a call, custom ones with GetDeploymentConfig. */
export async function getStrategy(codeDeploy: CodeDeployClient, configName: string): Promise<Strategy | undefined> {
  const known = predefinedStrategy(configName);
  if (known) return known;
  const result = await codeDeploy.send(new GetDeploymentConfigCommand({ deploymentConfigName: configName }));
  return strategyOfRouting(result.deploymentConfigInfo?.trafficRoutingConfig);
}

/**
 * CodeDeploy's weight of the target version. The API reference calls it a percentage; Lambda's own alias weights are
 * fractions (0.0–1.0). Values up to 1 are read as a fraction (unverified against a real deployment).
 */
export function weightPercent(weight: number | undefined): number | undefined {
  if (weight === undefined) return undefined;
  return weight <= 1 ? weight * 100 : weight;
}

export function toTargetFacts(target: DeploymentTarget | undefined, readAt: Date): TargetFacts {
  const lambda = target?.lambdaTarget;
  const info = lambda?.lambdaFunctionInfo;
  const share = weightPercent(info?.targetVersionWeight);
  return {
    readAt,
    ...(info?.functionName && { functionName: info.functionName }),
    ...(info?.currentVersion && { currentVersion: info.currentVersion }),
    ...(info?.targetVersion && { targetVersion: info.targetVersion }),
    ...(share !== undefined && { percent: share }),
    events: (lambda?.lifecycleEvents ?? []).map((e) => {
      const message = (e.diagnostics?.message || e.diagnostics?.logTail || '').trim();
      return {
        name: e.lifecycleEventName ?? '',
        status: e.status ?? 'Unknown',
        ...(e.startTime && { start: e.startTime }),
        ...(e.endTime && { end: e.endTime }),
        ...(message && { message: message.length > 300 ? `…${message.slice(-300)}` : message }),
      };
    }),
  };
}

/** The deployment's target ids (a Lambda deployment has one: the function). One ListDeploymentTargets call. */
export async function listTargetIds(codeDeploy: CodeDeployClient, deploymentId: string): Promise<string[]> {
  const result = await codeDeploy.send(new ListDeploymentTargetsCommand({ deploymentId }));
  return result.targetIds ?? [];
}

/** One BatchGetDeploymentTargets call. */
export async function getTarget(
  codeDeploy: CodeDeployClient,
  deploymentId: string,
  targetId: string,
  readAt: Date,
): Promise<TargetFacts> {
  const result = await codeDeploy.send(new BatchGetDeploymentTargetsCommand({ deploymentId, targetIds: [targetId] }));
  return toTargetFacts(result.deploymentTargets?.[0], readAt);
}

/** Metric and composite alarms by name: one DescribeAlarms call per 100 names (plus pages, which 100 names do not need). */
export async function describeAlarms(cloudWatch: CloudWatchClient, names: readonly string[]): Promise<AlarmFacts[]> {
  const alarms: AlarmFacts[] = [];
  for (const batch of chunk(names, ALARMS_PER_CALL)) {
    let token: string | undefined;
    do {
      const page: DescribeAlarmsCommandOutput = await cloudWatch.send(
        new DescribeAlarmsCommand({
          AlarmNames: batch,
          AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
          MaxRecords: 100,
          ...(token && { NextToken: token }),
        }),
      );
      for (const a of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
        if (!a.AlarmName) continue;
        alarms.push({
          name: a.AlarmName,
          state: a.StateValue ?? 'INSUFFICIENT_DATA',
          ...(a.StateReason && { reason: a.StateReason }),
        });
      }
      token = page.NextToken;
    } while (token);
  }
  return alarms;
}

/** One GetMetricData request, following its pages: the values of each query id. */
export async function getMetricData(
  cloudWatch: CloudWatchClient,
  request: MetricRequest,
): Promise<Map<string, MetricValues>> {
  const results = new Map<string, MetricValues>();
  let token: string | undefined;
  do {
    const page: GetMetricDataCommandOutput = await cloudWatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: request.queries,
        StartTime: request.startTime,
        EndTime: request.endTime,
        ScanBy: 'TimestampAscending',
        ...(token && { NextToken: token }),
      }),
    );
    for (const r of page.MetricDataResults ?? []) {
      if (!r.Id) continue;
      const into = results.get(r.Id) ?? { timestamps: [], values: [] };
      const timestamps = r.Timestamps ?? [];
      (r.Values ?? []).forEach((value, i) => {
        const t = timestamps[i];
        // A statistic without data (moto answers null for one it does not compute) is no data point.
        if (t && typeof value === 'number' && Number.isFinite(value)) {
          into.timestamps.push(t);
          into.values.push(value);
        }
      });
      results.set(r.Id, into);
    }
    token = page.NextToken;
  } while (token);
  return results;
}

/**
 * Both versions' figures of each rollout: ⌈rollouts / 62⌉ GetMetricData requests (8 queries a rollout), more only for
 * rollouts more than six hours apart.
 */
export async function readVersionHealth(
  cloudWatch: CloudWatchClient,
  windows: readonly HealthWindow[],
  now: Date,
): Promise<Map<string, VersionHealth>> {
  const planned = planRequests(windows, now);
  const answers: Map<string, MetricValues>[] = [];
  for (const request of planned.requests) answers.push(await getMetricData(cloudWatch, request));
  return readAnswers(planned, answers);
}

/** The alias as Lambda serves it, or undefined when the function or the alias does not exist. */
export async function readAlias(
  lambda: LambdaClient,
  functionName: string,
  alias: string,
): Promise<AliasState | undefined> {
  try {
    const result = await lambda.send(new GetAliasCommand({ FunctionName: functionName, Name: alias }));
    return aliasState(functionName, alias, result);
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

/** `version 6 (100%)` per function name, for the functions whose alias could be read. */
export async function describeAliases(
  lambda: LambdaClient,
  targets: readonly { name: string; functionName: string; alias: string }[],
): Promise<Map<string, string>> {
  const states = await mapLimit(targets, ALIAS_READS_IN_FLIGHT, (t) =>
    readAlias(lambda, t.functionName, t.alias).catch(() => undefined),
  );
  return new Map(
    targets.flatMap((t, i) =>
      states[i] ? [[t.name, describeAlias(states[i] as AliasState)] as [string, string]] : [],
    ),
  );
}

/** Stops a deployment and has CodeDeploy roll it back; returns CodeDeploy's answer (`Pending: …`). */
export async function stopDeployment(codeDeploy: CodeDeployClient, deploymentId: string): Promise<string> {
  const result = await codeDeploy.send(new StopDeploymentCommand({ deploymentId, autoRollbackEnabled: true }));
  return [result.status, result.statusMessage].filter(Boolean).join(': ');
}

export async function updateAlias(lambda: LambdaClient, update: AliasUpdate): Promise<AliasState> {
  const result = await lambda.send(new UpdateAliasCommand(update));
  return aliasState(update.FunctionName, update.Name, result);
}

export async function publishedVersions(lambda: LambdaClient, functionName: string): Promise<string[]> {
  const versions: string[] = [];
  let marker: string | undefined;
  do {
    const page: ListVersionsByFunctionCommandOutput = await lambda.send(
      new ListVersionsByFunctionCommand({ FunctionName: functionName, ...(marker && { Marker: marker }) }),
    );
    versions.push(...(page.Versions ?? []).flatMap((v) => (v.Version ? [v.Version] : [])));
    marker = page.NextMarker;
  } while (marker);
  return versions;
}

/**
 * The deployments in progress in the given deployment groups: one ListDeployments call for the whole account and
 * region (filtered by status), then BatchGetDeployments by 25, whatever the number of groups.
 */
export async function deploymentsInProgress(
  codeDeploy: CodeDeployClient,
  applicationName: string,
  groupNames: readonly string[],
): Promise<Map<string, DeploymentFacts>> {
  const ids = await listDeploymentIds(codeDeploy, { statuses: UNFINISHED_STATUSES });
  const { found } = await getDeployments(codeDeploy, ids);
  const groups = new Set(groupNames);
  const byGroup = new Map<string, DeploymentFacts>();
  for (const d of found) {
    if (d.applicationName === applicationName && d.groupName && groups.has(d.groupName)) byGroup.set(d.groupName, d);
  }
  return byGroup;
}

export function errorText(error: unknown): string {
  if (error instanceof Error)
    return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
  return String(error);
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the order of `items`. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
