/**
 * Scripted AWS timelines for the deploy-time features: a fake clock, and aws-sdk-client-mock answers computed from
 * scripted deployments and alarms at the clock's current time. A test advances the clock (each `sleep` of the
 * watcher does) and reads what the user saw and which requests were made.
 */
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
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
} from '@aws-sdk/client-codedeploy';
import { CloudFormationClient, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import {
  GetAliasCommand,
  LambdaClient,
  ListVersionsByFunctionCommand,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import type { Clock } from '../../../src/deploy/clock';

export const T0 = Date.parse('2026-11-28T08:40:00Z');
export const at = (second: number): Date => new Date(T0 + second * 1000);

/**
 * Virtual time: each `sleep` advances it. With `yielding`, a sleep first lets other tasks run (a macrotask), so a
 * watcher polling in the background advances in step with a test that waits for a given second.
 */
export class FakeClock implements Clock {
  second = 0;
  constructor(private readonly yielding = false) {}
  now(): Date {
    return at(this.second);
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.yielding) await new Promise((resolve) => setImmediate(resolve));
    if (signal?.aborted) return;
    this.second += ms / 1000;
  }
  /** Resolves once virtual time reached `second` (for background watchers on a yielding clock). */
  async reach(second: number): Promise<void> {
    while (this.second < second) await new Promise((resolve) => setImmediate(resolve));
  }
}

type EventName = 'BeforeAllowTraffic' | 'AllowTraffic' | 'AfterAllowTraffic';
export interface ScriptedEvent {
  status: string;
  start?: number;
  end?: number;
  message?: string;
}

export interface Phase {
  at: number;
  status: string;
  /** Target version weight as CodeDeploy reports it (0.0–1.0). */
  weight?: number;
  events?: Partial<Record<EventName, ScriptedEvent>>;
  error?: { code: string; message: string };
  rollbackDeploymentId?: string;
}

export interface ScriptedDeployment {
  id: string;
  application?: string;
  group: string;
  functionName: string;
  alias?: string;
  configName: string;
  creator?: string;
  createdAt: number;
  currentVersion?: string;
  targetVersion?: string;
  rollbackOf?: string;
  phases: Phase[];
}

export interface ScriptedAlarm {
  name: string;
  states: { at: number; state: string; reason?: string }[];
}

/**
 * Calls a version serves through the alias from second `from` (to `to`), per minute; Lambda publishes a minute's
 * figures once it is over.
 */
export interface ScriptedTraffic {
  functionName: string;
  alias?: string;
  version: string;
  from: number;
  to?: number;
  callsPerMinute: number;
  errorsPerMinute?: number;
  averageMs?: number;
  p99Ms?: number;
}

export interface Script {
  application?: string;
  deployments: ScriptedDeployment[];
  /** Lambda's metrics per alias and executed version (GetMetricData). */
  traffic?: ScriptedTraffic[];
  alarmsOfGroup?: Record<string, string[]>;
  alarms?: ScriptedAlarm[];
  /** Custom configurations, by name. */
  configs?: Record<string, { type: string; percentage?: number; interval?: number }>;
}

export const APP = 'svc-dev-TrafficShiftApplication-ABC';

export interface Mocks {
  codeDeploy: AwsStub<any, any, any>;
  cloudWatch: AwsStub<any, any, any>;
  cloudFormation: AwsStub<any, any, any>;
  lambda: AwsStub<any, any, any>;
  reset(): void;
}

export function mocks(): Mocks {
  const m = {
    codeDeploy: mockClient(CodeDeployClient),
    cloudWatch: mockClient(CloudWatchClient),
    cloudFormation: mockClient(CloudFormationClient),
    lambda: mockClient(LambdaClient),
    reset() {
      m.codeDeploy.reset();
      m.cloudWatch.reset();
      m.cloudFormation.reset();
      m.lambda.reset();
    },
  };
  return m;
}

const phaseAt = (d: ScriptedDeployment, second: number): Phase | undefined =>
  [...d.phases].reverse().find((p) => p.at <= second);

export function deploymentInfo(d: ScriptedDeployment, second: number, application: string): DeploymentInfo | undefined {
  const phase = phaseAt(d, second);
  if (!phase || second < d.createdAt) return undefined;
  const finished = ['Succeeded', 'Failed', 'Stopped'].includes(phase.status);
  const started = d.phases.find((p) => p.status === 'InProgress');
  return {
    deploymentId: d.id,
    applicationName: d.application ?? application,
    deploymentGroupName: d.group,
    deploymentConfigName: d.configName,
    status: phase.status as DeploymentInfo['status'],
    creator: (d.creator ?? 'CloudFormation') as DeploymentInfo['creator'],
    createTime: at(d.createdAt),
    ...(started && started.at <= second && { startTime: at(started.at) }),
    ...(finished && { completeTime: at(phase.at) }),
    ...(phase.error && { errorInformation: { code: phase.error.code as never, message: phase.error.message } }),
    ...((phase.rollbackDeploymentId || d.rollbackOf) && {
      rollbackInfo: {
        ...(phase.rollbackDeploymentId && { rollbackDeploymentId: phase.rollbackDeploymentId }),
        ...(d.rollbackOf && { rollbackTriggeringDeploymentId: d.rollbackOf }),
      },
    }),
  };
}

/** Answers every CodeDeploy and CloudWatch read from the script at the clock's time. */
export function play(m: Mocks, clock: FakeClock, script: Script): void {
  const application = script.application ?? APP;
  const visible = (): ScriptedDeployment[] => script.deployments.filter((d) => d.createdAt <= clock.second);
  m.codeDeploy.on(ListDeploymentsCommand).callsFake((input) => {
    const since = input.createTimeRange?.start?.getTime() ?? -Infinity;
    const statuses: string[] | undefined = input.includeOnlyStatuses;
    return {
      deployments: visible()
        .filter((d) => at(d.createdAt).getTime() >= since)
        .filter((d) => !statuses || statuses.includes(phaseAt(d, clock.second)?.status ?? ''))
        .map((d) => d.id),
    };
  });
  m.codeDeploy.on(BatchGetDeploymentsCommand).callsFake((input) => {
    if (input.deploymentIds.length > 25) throw new Error('BatchGetDeployments: at most 25 ids');
    return {
      deploymentsInfo: input.deploymentIds.flatMap((id: string) => {
        const d = script.deployments.find((x) => x.id === id);
        const info = d && deploymentInfo(d, clock.second, application);
        return info ? [info] : [];
      }),
    };
  });
  m.codeDeploy.on(BatchGetDeploymentGroupsCommand).callsFake((input) => ({
    deploymentGroupsInfo: input.deploymentGroupNames.map((name: string) => {
      const alarms = script.alarmsOfGroup?.[name] ?? [];
      const last = [...visible()].filter((d) => d.group === name).pop();
      return {
        applicationName: input.applicationName,
        deploymentGroupName: name,
        alarmConfiguration:
          alarms.length > 0 ? { enabled: true, alarms: alarms.map((a) => ({ name: a })) } : { enabled: false },
        ...(last && {
          lastAttemptedDeployment: { deploymentId: last.id, status: phaseAt(last, clock.second)?.status },
        }),
      };
    }),
  }));
  m.codeDeploy.on(GetDeploymentConfigCommand).callsFake((input) => {
    const c = script.configs?.[input.deploymentConfigName];
    if (!c) throw Object.assign(new Error('no such config'), { name: 'DeploymentConfigDoesNotExistException' });
    return {
      deploymentConfigInfo: {
        deploymentConfigName: input.deploymentConfigName,
        computePlatform: 'Lambda',
        trafficRoutingConfig:
          c.type === 'TimeBasedCanary'
            ? { type: c.type, timeBasedCanary: { canaryPercentage: c.percentage, canaryInterval: c.interval } }
            : c.type === 'TimeBasedLinear'
              ? { type: c.type, timeBasedLinear: { linearPercentage: c.percentage, linearInterval: c.interval } }
              : { type: c.type },
      },
    };
  });
  m.codeDeploy.on(ListDeploymentTargetsCommand).callsFake((input) => {
    const d = script.deployments.find((x) => x.id === input.deploymentId);
    return { targetIds: d ? [`${d.functionName}:${d.alias ?? 'live'}`] : [] };
  });
  m.codeDeploy.on(BatchGetDeploymentTargetsCommand).callsFake((input) => {
    const d = script.deployments.find((x) => x.id === input.deploymentId);
    const phase = d && phaseAt(d, clock.second);
    if (!d || !phase) return { deploymentTargets: [] };
    return {
      deploymentTargets: [
        {
          deploymentTargetType: 'LambdaTarget',
          lambdaTarget: {
            deploymentId: d.id,
            targetId: input.targetIds[0],
            status: phase.status,
            lambdaFunctionInfo: {
              functionName: d.functionName,
              functionAlias: d.alias ?? 'live',
              currentVersion: d.currentVersion ?? '6',
              targetVersion: d.targetVersion ?? '7',
              targetVersionWeight: phase.weight ?? 0,
            },
            lifecycleEvents: (['BeforeAllowTraffic', 'AllowTraffic', 'AfterAllowTraffic'] as const).map((name) => {
              const e = phase.events?.[name];
              return {
                lifecycleEventName: name,
                status: e?.status ?? 'Pending',
                ...(e?.start !== undefined && { startTime: at(e.start) }),
                ...(e?.end !== undefined && { endTime: at(e.end) }),
                ...(e?.message && { diagnostics: { errorCode: 'ScriptFailed', message: e.message } }),
              };
            }),
          },
        },
      ],
    };
  });
  m.cloudWatch.on(DescribeAlarmsCommand).callsFake((input) => {
    if (input.AlarmNames.length > 100) throw new Error('DescribeAlarms: at most 100 names');
    return {
      MetricAlarms: input.AlarmNames.flatMap((name: string) => {
        const alarm = script.alarms?.find((a) => a.name === name);
        const state = alarm && [...alarm.states].reverse().find((s) => s.at <= clock.second);
        return [
          { AlarmName: name, StateValue: state?.state ?? 'OK', ...(state?.reason && { StateReason: state.reason }) },
        ];
      }),
      CompositeAlarms: [],
    };
  });
  m.cloudWatch.on(GetMetricDataCommand).callsFake((input) => metricData(script, clock, input));
}

/**
 * GetMetricData over the scripted traffic: per query (function, alias, executed version, statistic, period), one data
 * point per period with calls, from StartTime; a p99 over several minutes is the highest minute's (good enough here).
 */
function metricData(script: Script, clock: FakeClock, input: any): any {
  if (input.MetricDataQueries.length > 500) throw new Error('GetMetricData: at most 500 queries');
  const start = (input.StartTime as Date).getTime();
  const end = (input.EndTime as Date).getTime();
  return {
    MetricDataResults: input.MetricDataQueries.map((q: any) => {
      const dims = Object.fromEntries(q.MetricStat.Metric.Dimensions.map((d: any) => [d.Name, d.Value]));
      const traffic = (script.traffic ?? []).filter(
        (t) =>
          t.functionName === dims.FunctionName &&
          `${t.functionName}:${t.alias ?? 'live'}` === dims.Resource &&
          t.version === dims.ExecutedVersion,
      );
      const periodMs = q.MetricStat.Period * 1000;
      const timestamps: Date[] = [];
      const values: number[] = [];
      for (let p = start; p < end; p += periodMs) {
        let calls = 0;
        let value = 0;
        for (let minute = p; minute < p + periodMs; minute += 60000) {
          const second = (minute - T0) / 1000;
          if (second + 60 > clock.second) continue; // not published yet
          for (const t of traffic) {
            if (second < t.from || (t.to !== undefined && second >= t.to)) continue;
            calls += t.callsPerMinute;
            const stat = `${q.MetricStat.Metric.MetricName}/${q.MetricStat.Stat}`;
            if (stat === 'Invocations/Sum') value += t.callsPerMinute;
            else if (stat === 'Errors/Sum') value += t.errorsPerMinute ?? 0;
            else if (stat === 'Duration/Sum') value += t.callsPerMinute * (t.averageMs ?? 10);
            else if (stat === 'Duration/p99') value = Math.max(value, t.p99Ms ?? 20);
            else throw new Error(`GetMetricData: no script for ${stat}`);
          }
        }
        if (calls > 0) {
          timestamps.push(new Date(p));
          values.push(value);
        }
      }
      return { Id: q.Id, Label: q.Id, Timestamps: timestamps, Values: values, StatusCode: 'Complete' };
    }),
  };
}

/** Number of calls of each command name since the last `reset`, e.g. `{ ListDeploymentsCommand: 1 }`. */
export function callCounts(m: Mocks): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const stub of [m.codeDeploy, m.cloudWatch, m.cloudFormation, m.lambda]) {
    for (const call of stub.calls()) {
      const name = (call.args[0] as object).constructor.name;
      counts[name] = (counts[name] ?? 0) + 1;
    }
  }
  return counts;
}

export const total = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);

export {
  BatchGetDeploymentsCommand,
  BatchGetDeploymentTargetsCommand,
  DescribeAlarmsCommand,
  GetAliasCommand,
  GetMetricDataCommand,
  ListDeploymentsCommand,
  ListStackResourcesCommand,
  ListVersionsByFunctionCommand,
  StopDeploymentCommand,
  UpdateAliasCommand,
};
