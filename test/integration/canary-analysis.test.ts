/**
 * Canary analysis packaged by the real framework (fixture canary-analysis): the comparison alarms on each function's
 * alias and new version, the deployment groups watching them, the stage's dashboard built around the template's own
 * functions and versions, cfn-lint clean against the same service without the plugin, and the plan that
 * docs/strategies-and-health-checks.md shows, line for line.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import {
  describeWithCfnLint,
  idsOfType,
  lintAgainstBaselines,
  onlyVersionId,
  packageBaseline,
  packageFixture,
  properties,
  REPO_ROOT,
  spawnServerless,
  type CfnTemplate,
} from './helpers';
import { validateDashboardBody } from '../support/dashboard-body-schema';

const FIXTURE = 'canary-analysis';
let template: CfnTemplate;
let baseline: CfnTemplate;

beforeAll(async () => {
  ({ template } = await packageFixture(FIXTURE));
  ({ template: baseline } = await packageBaseline(FIXTURE));
});

const ref = (id: string) => ({ Ref: id });
type Query = { Id: string; Expression?: string; ReturnData: boolean; MetricStat?: Record<string, any> };

function dimensionsOf(fn: string, alias = 'live') {
  const functionId = `${fn}LambdaFunction`;
  const onAlias = [
    { Name: 'FunctionName', Value: ref(functionId) },
    { Name: 'Resource', Value: { 'Fn::Join': [':', [ref(functionId), alias]] } },
  ];
  return {
    alias: onAlias,
    newVersion: [
      ...onAlias,
      { Name: 'ExecutedVersion', Value: { 'Fn::GetAtt': [onlyVersionId(template, functionId), 'Version'] } },
    ],
  };
}

describe('comparison alarms (fixture canary-analysis)', () => {
  it('generates the comparison alarms, beside the fixed ones or alone', () => {
    expect(idsOfType(template, 'AWS::CloudWatch::Alarm')).toEqual([
      'ApiTrafficShiftDurationVsPreviousAlarm',
      'ApiTrafficShiftErrorRateVsPreviousAlarm',
      'WorkerTrafficShiftErrorRateVsPreviousAlarm',
      'WorkerTrafficShiftErrorsAlarm',
    ]);
  });

  it("reads the alias's metrics and the new version's, and watches the last expression", () => {
    const api = properties(template, 'ApiTrafficShiftErrorRateVsPreviousAlarm');
    expect(api).toMatchObject({ Threshold: 2, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanThreshold' });
    const queries = api.Metrics as Query[];
    const { alias, newVersion } = dimensionsOf('Api');
    expect(queries.filter((q) => q.MetricStat).map((q) => [q.Id, q.MetricStat?.Metric])).toEqual([
      ['newInvocations', { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: newVersion }],
      ['aliasInvocations', { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: alias }],
      ['newErrors', { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: newVersion }],
      ['aliasErrors', { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: alias }],
    ]);
    expect(queries.filter((q) => q.ReturnData)).toEqual([
      expect.objectContaining({
        Id: 'errorRateIncrease',
        Expression: 'IF(newInvocations >= 50 AND previousInvocations >= 50, newErrorRate - previousErrorRate, 0)',
      }),
    ]);
    const worker = properties(template, 'WorkerTrafficShiftErrorRateVsPreviousAlarm');
    expect(worker).toMatchObject({ Threshold: 5 });
    expect((worker.Metrics as Query[]).filter((q) => q.MetricStat).map((q) => q.MetricStat?.Period)).toEqual([
      300, 300, 300, 300,
    ]);
    expect((properties(template, 'ApiTrafficShiftDurationVsPreviousAlarm').Metrics as Query[]).pop()).toMatchObject({
      Id: 'durationRatio',
      ReturnData: true,
    });
  });

  it('has each deployment group watch its function’s alarms', () => {
    const alarmsOf = (group: string) =>
      (properties(template, group).AlarmConfiguration as { Alarms: { Name: unknown }[] }).Alarms.map((a) => a.Name);
    expect(alarmsOf('ApiTrafficShiftDeploymentGroup')).toEqual([
      ref('ApiTrafficShiftErrorRateVsPreviousAlarm'),
      ref('ApiTrafficShiftDurationVsPreviousAlarm'),
    ]);
    expect(alarmsOf('WorkerTrafficShiftDeploymentGroup')).toEqual([
      ref('WorkerTrafficShiftErrorsAlarm'),
      ref('WorkerTrafficShiftErrorRateVsPreviousAlarm'),
    ]);
  });
});

describe('dashboard (fixture canary-analysis)', () => {
  it("is built around the template's own functions and versions, and its body is the documented JSON", () => {
    expect(idsOfType(template, 'AWS::CloudWatch::Dashboard')).toEqual(['TrafficShiftDashboard']);
    const body = properties(template, 'TrafficShiftDashboard').DashboardBody as { 'Fn::Join': [string, unknown[]] };
    const versions = {
      [onlyVersionId(template, 'ApiLambdaFunction')]: '7',
      [onlyVersionId(template, 'WorkerLambdaFunction')]: '3',
    };
    const text = body['Fn::Join'][1]
      .map((part) => {
        if (typeof part === 'string') return part;
        if ('Ref' in (part as object)) {
          const id = (part as { Ref: string }).Ref;
          if (id === 'AWS::Region') return 'us-east-1';
          expect(template.Resources[id]?.Type).toBe('AWS::Lambda::Function');
          return `ts-canary-analysis-dev-${id.replace('LambdaFunction', '').toLowerCase()}`;
        }
        const [id, attribute] = (part as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
        expect([id in versions, attribute]).toEqual([true, 'Version']);
        return versions[id];
      })
      .join('');
    const parsed = JSON.parse(text) as { widgets: { type: string; properties: { title?: string } }[] };
    expect(validateDashboardBody(parsed) ? [] : validateDashboardBody.errors).toEqual([]);
    expect(parsed.widgets.filter((w) => w.type === 'metric').map((w) => w.properties.title)).toEqual([
      'api: calls by version',
      'api: error rate (%)',
      'api: average duration (ms)',
      'worker: calls by version',
      'worker: error rate (%)',
      'worker: average duration (ms)',
    ]);
  });
});

describeWithCfnLint('cfn-lint (fixture canary-analysis)', () => {
  it('adds no finding to those of the same service without the plugin', async () => {
    expect(await lintAgainstBaselines({ [FIXTURE]: { withPlugin: template, baseline } })).toEqual({ [FIXTURE]: [] });
  });
});

describe('plan (fixture canary-analysis)', () => {
  it('is what docs/strategies-and-health-checks.md shows for it', async () => {
    const result = await spawnServerless(FIXTURE, ['traffic', 'plan']);
    expect(result.exitCode).toBe(0);
    const doc = readFileSync(path.join(REPO_ROOT, 'docs', 'strategies-and-health-checks.md'), 'utf8');
    const marker = doc.indexOf('<!-- plan of test/fixtures/canary-analysis -->');
    expect(marker).toBeGreaterThan(0);
    const start = doc.indexOf('```\n', marker) + 4;
    const shown = doc.slice(start, doc.indexOf('```', start)).trimEnd().split('\n');
    const printed = result.stdout.split('\n');
    const first = printed.indexOf(shown[0] as string);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(printed.slice(first, first + shown.length)).toEqual(shown);
  });
});
