/**
 * `provisionedConcurrency` on a shifted function (fixture `provisioned`): the framework's own `provisioned` alias would
 * keep serving the old version beside the canary, so the plugin's alias replaces it and carries its concurrency.
 */
import {
  describeWithCfnLint,
  idsOfType,
  lintAgainstBaselines,
  packageBaseline,
  packageFixture,
  pathsWhere,
  properties,
  sameJson,
  unqualifiedArn,
  type CfnTemplate,
} from './helpers';

const FIXTURE = 'provisioned';
let template: CfnTemplate;

beforeAll(async () => {
  ({ template } = await packageFixture(FIXTURE));
});

const ALIAS = { Ref: 'ApiTrafficShiftAlias' };

describe('provisionedConcurrency (fixture provisioned)', () => {
  it('replaces the framework alias: no ApiProvConcLambdaAlias, nothing refers to it or to the "provisioned" qualifier', () => {
    expect(idsOfType(template, 'AWS::Lambda::Alias')).toEqual(['ApiTrafficShiftAlias']);
    expect(
      pathsWhere(
        template,
        (value) => typeof value === 'string' && (value.includes('ProvConcLambdaAlias') || value === 'provisioned'),
      ),
    ).toEqual([]);
  });

  it('moves the provisioned concurrency to the plugin alias', () => {
    expect(properties(template, 'ApiTrafficShiftAlias').ProvisionedConcurrencyConfig).toEqual({
      ProvisionedConcurrentExecutions: 2,
    });
  });

  it('grants API Gateway and the HTTP API permission on the plugin alias', () => {
    expect(idsOfType(template, 'AWS::Lambda::Permission')).toEqual([
      'ApiLambdaPermissionApiGateway',
      'ApiLambdaPermissionHttpApi',
    ]);
    expect(properties(template, 'ApiLambdaPermissionApiGateway').FunctionName).toEqual(ALIAS);
    expect(properties(template, 'ApiLambdaPermissionHttpApi').FunctionName).toEqual(ALIAS);
  });

  it('integrates the http and httpApi events with the plugin alias', () => {
    const uri = (properties(template, 'ApiGatewayMethodGet').Integration as { Uri: unknown }).Uri;
    expect(pathsWhere(uri, sameJson(ALIAS))).toHaveLength(1);
    expect(properties(template, 'HttpApiIntegrationApi').IntegrationUri).toEqual(ALIAS);
    expect(pathsWhere(template.Resources, sameJson(unqualifiedArn('ApiLambdaFunction')))).toEqual([]);
  });
});

describeWithCfnLint('cfn-lint (fixture provisioned)', () => {
  it('finds nothing in the template that it does not find in the same service without the plugin', async () => {
    const { template: baseline } = await packageBaseline(FIXTURE);
    expect(await lintAgainstBaselines({ [FIXTURE]: { withPlugin: template, baseline } })).toEqual({ [FIXTURE]: [] });
  });
});
