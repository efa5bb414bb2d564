/**
 * `enabled: false` on one function (fixture `disabled`, function `legacy`, while `api` is shifted by the service
 * defaults): the plugin leaves that function exactly as the framework compiles it without the plugin.
 */
import {
  describeWithCfnLint,
  lintAgainstBaselines,
  packageBaseline,
  packageFixture,
  properties,
  unqualifiedArn,
  withoutPackagingTimestamp,
  type CfnResource,
  type CfnTemplate,
} from './helpers';

const FIXTURE = 'disabled';
let template: CfnTemplate;
let baseline: CfnTemplate;

beforeAll(async () => {
  ({ template } = await packageFixture(FIXTURE));
  ({ template: baseline } = await packageBaseline(FIXTURE));
});

/** The resources of `legacy`: every id that names it, in template order, with the artifact timestamp masked. */
const legacyResources = (from: CfnTemplate): [string, CfnResource][] =>
  withoutPackagingTimestamp(Object.entries(from.Resources).filter(([id]) => id.includes('Legacy')));

describe('enabled: false (fixture disabled)', () => {
  it('leaves every resource of the function byte-identical to the service packaged without the plugin', () => {
    const expected = legacyResources(baseline);
    expect(expected.map(([id]) => id)).toEqual(
      expect.arrayContaining([
        'LegacyLambdaFunction',
        'LegacyLambdaPermissionApiGateway',
        'ApiGatewayMethodLegacyGet',
        'HttpApiIntegrationLegacy',
      ]),
    );
    expect(legacyResources(template)).toEqual(expected);
    expect(JSON.stringify(legacyResources(template))).toBe(JSON.stringify(expected));
  });

  it('adds no alias or deployment group for it, and its events still invoke the function itself', () => {
    expect(Object.keys(template.Resources).filter((id) => id.startsWith('LegacyTrafficShift'))).toEqual([]);
    expect(properties(template, 'LegacyLambdaPermissionApiGateway').FunctionName).toEqual(
      unqualifiedArn('LegacyLambdaFunction'),
    );
    expect(properties(template, 'LegacyLambdaPermissionHttpApi').FunctionName).toEqual(
      unqualifiedArn('LegacyLambdaFunction'),
    );
    expect(properties(template, 'HttpApiIntegrationLegacy').IntegrationUri).toEqual(
      unqualifiedArn('LegacyLambdaFunction'),
    );
  });

  it('still shifts the other function', () => {
    expect(template.Resources.ApiTrafficShiftAlias?.UpdatePolicy).toBeDefined();
    expect(properties(template, 'ApiLambdaPermissionApiGateway').FunctionName).toEqual({ Ref: 'ApiTrafficShiftAlias' });
  });
});

describeWithCfnLint('cfn-lint (fixture disabled)', () => {
  it('finds nothing in the template that it does not find in the same service without the plugin', async () => {
    expect(await lintAgainstBaselines({ [FIXTURE]: { withPlugin: template, baseline } })).toEqual({ [FIXTURE]: [] });
  });
});
