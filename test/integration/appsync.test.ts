/**
 * serverless-appsync-plugin alongside, packaged by the real framework:
 * - appsync-without-alias (as most services write it): the data source and the Lambda authorizer name the functions;
 *   the plugin points them, and the authorizer's permission, at the aliases;
 * - appsync: with that plugin's own `functionAlias: live` the same holds.
 * In both the data source's role may invoke the alias, and cfn-lint finds nothing the same service without the plugin
 * does not.
 */
import {
  describeWithCfnLint,
  lintAgainstBaselines,
  packageBaseline,
  packageFixture,
  properties,
  type CfnTemplate,
} from './helpers';

const FIXTURES = ['appsync-without-alias', 'appsync'] as const;
const templates: Record<string, CfnTemplate> = {};
const baselines: Record<string, CfnTemplate> = {};

beforeAll(async () => {
  // One at a time: the framework runs in this process.
  for (const fixture of FIXTURES) {
    templates[fixture] = (await packageFixture(fixture)).template;
    baselines[fixture] = (await packageBaseline(fixture)).template;
  }
});

const alias = (id: string) => ({ Ref: id });

describe.each(FIXTURES)('serverless-appsync-plugin (fixture %s)', (fixture) => {
  const template = () => templates[fixture] as CfnTemplate;

  it('the data source and the Lambda authorizer invoke the aliases, and the authorizer permission is on its alias', () => {
    expect(properties(template(), 'GraphQlDshello').LambdaConfig).toEqual({
      LambdaFunctionArn: alias('HelloTrafficShiftAlias'),
    });
    expect(properties(template(), 'GraphQlApi').LambdaAuthorizerConfig).toEqual({
      AuthorizerUri: alias('AuthTrafficShiftAlias'),
    });
    expect(properties(template(), 'LambdaAuthorizerPermission')).toMatchObject({
      FunctionName: alias('AuthTrafficShiftAlias'),
      Principal: 'appsync.amazonaws.com',
    });
  });

  it("the data source's role may invoke the alias", () => {
    const statement = (
      properties(template(), 'GraphQlDshelloRole').Policies as {
        PolicyDocument: { Statement: { Resource: unknown[] }[] };
      }[]
    )[0]?.PolicyDocument.Statement[0];
    expect(statement?.Resource).toContainEqual(alias('HelloTrafficShiftAlias'));
  });
});

describe('without the plugin', () => {
  it('the same configurations name the function itself, or "<function ARN>:live" with functionAlias', () => {
    const arn = { 'Fn::GetAtt': ['HelloLambdaFunction', 'Arn'] };
    expect(properties(baselines['appsync-without-alias'] as CfnTemplate, 'GraphQlDshello').LambdaConfig).toEqual({
      LambdaFunctionArn: arn,
    });
    expect(properties(baselines.appsync as CfnTemplate, 'GraphQlDshello').LambdaConfig).toEqual({
      LambdaFunctionArn: { 'Fn::Join': [':', [arn, 'live']] },
    });
  });
});

describeWithCfnLint('cfn-lint (fixtures appsync, appsync-without-alias)', () => {
  it('finds nothing that it does not find in the same service without the plugin', async () => {
    const pairs = Object.fromEntries(
      FIXTURES.map((f) => [f, { withPlugin: templates[f] as CfnTemplate, baseline: baselines[f] as CfnTemplate }]),
    );
    expect(await lintAgainstBaselines(pairs)).toEqual(Object.fromEntries(FIXTURES.map((f) => [f, []])));
  });
});
