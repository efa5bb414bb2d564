/**
 * The dashboard's body against the documented structure ("Dashboard Body Structure and Syntax", CloudWatch API
 * Reference; test/support/dashboard-body-schema.ts), and its graphs against the comparison alarms' metric definitions.
 */
import { validateDashboardBody as validate } from '../../support/dashboard-body-schema';
import type { ShiftedFunction } from '../../../src/config/resolve';
import { ServerlessError } from '../../../src/errors';
import { trafficDashboard, type DashboardFunction } from '../../../src/transform/dashboard';
import { durationQueries, errorRateQueries, inlineExpression } from '../../../src/transform/version-metrics';

const fn = (name: string, alias = 'live'): DashboardFunction => {
  const upper = name.charAt(0).toUpperCase() + name.slice(1);
  return {
    fn: { name, alias, logicalId: `${upper}LambdaFunction`, normalizedName: upper } as ShiftedFunction,
    versionLogicalId: `${upper}LambdaVersionAbc`,
  };
};

/** The body as CloudFormation would write it: Refs and GetAtts resolved. */
function resolvedBody(body: unknown, values: Record<string, string>): string {
  if (typeof body === 'string') return body;
  const [separator, parts] = (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const key =
        'Ref' in (part as object)
          ? (part as { Ref: string }).Ref
          : (part as { 'Fn::GetAtt': string[] })['Fn::GetAtt'].join('.');
      const value = values[key];
      if (value === undefined) throw new Error(`no value for ${key}`);
      return value;
    })
    .join(separator);
}

const VALUES = {
  'AWS::Region': 'eu-west-1',
  ApiLambdaFunction: 'svc-prod-api',
  'ApiLambdaVersionAbc.Version': '7',
  WorkerLambdaFunction: 'svc-prod-worker',
  'WorkerLambdaVersionAbc.Version': '12',
};

type Widget = {
  type: string;
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  properties: Record<string, any>;
};

describe('the traffic dashboard', () => {
  const resource = trafficDashboard([fn('api'), fn('worker', 'prod')]);
  const body = JSON.parse(resolvedBody(resource.Properties?.DashboardBody, VALUES)) as { widgets: Widget[] };

  it('is an AWS::CloudWatch::Dashboard named after the stack and region, its body a Fn::Join of references only', () => {
    expect(resource.Type).toBe('AWS::CloudWatch::Dashboard');
    expect(resource.Properties?.DashboardName).toEqual({ 'Fn::Sub': '${AWS::StackName}-${AWS::Region}-traffic-shift' });
    const parts = (resource.Properties?.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    const references = parts.filter((p) => typeof p !== 'string');
    expect(new Set(references.map((p) => JSON.stringify(p)))).toEqual(
      new Set(
        [
          { Ref: 'AWS::Region' },
          { Ref: 'ApiLambdaFunction' },
          { 'Fn::GetAtt': ['ApiLambdaVersionAbc', 'Version'] },
          { Ref: 'WorkerLambdaFunction' },
          { 'Fn::GetAtt': ['WorkerLambdaVersionAbc', 'Version'] },
        ].map((p) => JSON.stringify(p)),
      ),
    );
  });

  it('matches the documented body structure', () => {
    expect(validate(body) ? [] : validate.errors).toEqual([]);
    for (const widget of body.widgets) {
      expect((widget.x ?? 0) + (widget.width ?? 6)).toBeLessThanOrEqual(24);
      for (const row of widget.properties.metrics ?? []) {
        if (typeof row[0] !== 'string') continue;
        // Namespace, metric name, dimension name/value pairs, then at most one options object, last.
        const strings = row.filter((item: unknown) => typeof item === 'string');
        expect(strings.length % 2).toBe(0);
        expect(row.slice(0, strings.length).every((item: unknown) => typeof item === 'string')).toBe(true);
        expect(row.length - strings.length).toBeLessThanOrEqual(1);
      }
    }
    // No two widgets overlap on the grid.
    const cells = new Set<string>();
    for (const w of body.widgets) {
      for (let x = w.x ?? 0; x < (w.x ?? 0) + (w.width ?? 6); x += 1)
        for (let y = w.y ?? 0; y < (w.y ?? 0) + (w.height ?? 6); y += 1) {
          expect(cells.has(`${x},${y}`)).toBe(false);
          cells.add(`${x},${y}`);
        }
    }
  });

  it('the schema itself rejects what the documentation does not allow', () => {
    const widgets = body.widgets;
    const broken = (change: (w: Widget[]) => void): boolean => {
      const copy = JSON.parse(JSON.stringify(widgets)) as Widget[];
      change(copy);
      return validate({ widgets: copy });
    };
    expect(broken(() => undefined)).toBe(true);
    expect(broken((w) => ((w[1] as Widget).width = 30))).toBe(false);
    expect(broken((w) => delete (w[2] as Widget).properties.region)).toBe(false);
    expect(broken((w) => ((w[2] as Widget).properties.period = 90))).toBe(false);
    expect(broken((w) => (w[3] as Widget).properties.metrics.push([{ expression: 'm1', visible: false }]))).toBe(false);
    expect(broken((w) => ((w[2] as Widget).properties.metrics[0][8].stat = 'P99'))).toBe(false);
    expect(broken((w) => ((w[0] as Widget).properties.text = 'x'))).toBe(false);
  });

  it('shows per function calls by version, then the error rates and average durations of both versions', () => {
    const titles = body.widgets.filter((w) => w.type === 'metric').map((w) => w.properties.title);
    expect(titles).toEqual([
      'api: calls by version',
      'api: error rate (%)',
      'api: average duration (ms)',
      'worker: calls by version',
      'worker: error rate (%)',
      'worker: average duration (ms)',
    ]);
    expect(body.widgets.every((w) => w.type !== 'metric' || w.properties.region === 'eu-west-1')).toBe(true);
    const [traffic, errors] = body.widgets.filter((w) => w.type === 'metric');
    const newVersion = ['FunctionName', 'svc-prod-api', 'Resource', 'svc-prod-api:live', 'ExecutedVersion', '7'];
    expect(traffic?.properties.metrics).toEqual([
      ['AWS/Lambda', 'Invocations', ...newVersion, { id: 'newInvocations', stat: 'Sum', label: 'version 7 (new)' }],
      [
        'AWS/Lambda',
        'Invocations',
        'FunctionName',
        'svc-prod-api',
        'Resource',
        'svc-prod-api:live',
        { id: 'aliasInvocations', stat: 'Sum', label: 'Invocations of the alias', visible: false },
      ],
      [{ expression: 'aliasInvocations - newInvocations', label: 'previous version', id: 'previousInvocations' }],
    ]);
    expect(errors?.properties.metrics.filter((row: unknown[]) => typeof row[0] !== 'string')).toEqual([
      [{ expression: '100 * newErrors / newInvocations', label: 'version 7 (new)', id: 'newErrorRate' }],
      [
        {
          expression: '100 * (aliasErrors - newErrors) / (aliasInvocations - newInvocations)',
          label: 'previous version',
          id: 'previousErrorRate',
        },
      ],
    ]);
    const worker = body.widgets.filter((w) => w.type === 'metric')[3];
    expect(worker?.properties.metrics[0].slice(2, 8)).toEqual([
      'FunctionName',
      'svc-prod-worker',
      'Resource',
      'svc-prod-worker:prod',
      'ExecutedVersion',
      '12',
    ]);
  });

  it('draws the expressions of the alarms, written out', () => {
    const expressions = body.widgets
      .flatMap((w) => w.properties.metrics ?? [])
      .filter((row: unknown[]) => typeof row[0] !== 'string')
      .map((row: { id: string; expression: string }[]) => row[0] as { id: string; expression: string });
    for (const { id, expression } of expressions) {
      const source = [...errorRateQueries(), ...durationQueries()];
      expect(expression).toBe(inlineExpression(id, source));
    }
    expect(expressions.map((e: { id: string }) => e.id)).toEqual([
      'previousInvocations',
      'newErrorRate',
      'previousErrorRate',
      'newAverageDuration',
      'previousAverageDuration',
      'previousInvocations',
      'newErrorRate',
      'previousErrorRate',
      'newAverageDuration',
      'previousAverageDuration',
    ]);
  });

  it("refuses a dashboard beyond CloudWatch's limits", () => {
    const many = Array.from({ length: 130 }, (_, i) => fn(`fn${i}`));
    expect(() => trafficDashboard(many)).toThrow(ServerlessError);
    expect(() => trafficDashboard(many)).toThrow(
      "Invalid deployment setting: custom.deploymentSettings.dashboard is true, and the 130 shifted functions need 521 widgets and 1300 metrics, more than CloudWatch's limits for a dashboard (500 widgets, 2500 metrics). Turn dashboard off. [TRAFFIC_SHIFT_INVALID_SETTING]",
    );
    expect(() => trafficDashboard(many.slice(0, 120))).not.toThrow();
  });
});
