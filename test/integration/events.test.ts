/**
 * http and httpApi events of a shifted function go through its alias (fixture `events`). This file packages with the
 * `serverless` executable in a child process and reads the template the framework wrote to
 * `.serverless/cloudformation-template-update-stack.json`, the file a deploy would upload.
 */
import {
  describeWithCfnLint,
  idsOfType,
  lintAgainstBaselines,
  packageBaseline,
  pathsWhere,
  properties,
  sameJson,
  spawnPackage,
  unqualifiedArn,
  type CfnTemplate,
  type SpawnedPackaging,
} from './helpers';

const FIXTURE = 'events';
let packaged: SpawnedPackaging;
let template: CfnTemplate;

beforeAll(async () => {
  packaged = await spawnPackage(FIXTURE);
  if (packaged.exitCode !== 0 || !packaged.template) {
    throw new Error(`serverless package exited with ${packaged.exitCode}:\n${packaged.stdout}\n${packaged.stderr}`);
  }
  template = packaged.template;
});

const ALIAS = { Ref: 'ApiTrafficShiftAlias' };

describe('http and httpApi events of a shifted function (fixture events, packaged by the serverless executable)', () => {
  it('reads the template the framework wrote to .serverless/', () => {
    expect(packaged.templateFile).toMatch(
      /[/\\]events[/\\]\.serverless[/\\]cloudformation-template-update-stack\.json$/,
    );
    expect(template.Resources.ApiTrafficShiftAlias?.Type).toBe('AWS::Lambda::Alias');
  });

  it('grants invoke permissions on the alias only', () => {
    const permissions = idsOfType(template, 'AWS::Lambda::Permission');
    expect(permissions).toEqual(['ApiLambdaPermissionApiGateway', 'ApiLambdaPermissionHttpApi']);
    for (const id of permissions) expect([id, properties(template, id).FunctionName]).toEqual([id, ALIAS]);
  });

  it('integrates every REST API method with the alias ARN', () => {
    const methods = idsOfType(template, 'AWS::ApiGateway::Method');
    expect(methods).toEqual(['ApiGatewayMethodGet', 'ApiGatewayMethodItemsPost']);
    for (const id of methods) {
      const uri = (properties(template, id).Integration as { Uri: unknown }).Uri;
      expect([id, pathsWhere(uri, sameJson(ALIAS)).length]).toEqual([id, 1]);
    }
  });

  it('integrates the HTTP API with the alias ARN', () => {
    expect(idsOfType(template, 'AWS::ApiGatewayV2::Integration')).toEqual(['HttpApiIntegrationApi']);
    expect(properties(template, 'HttpApiIntegrationApi').IntegrationUri).toEqual(ALIAS);
  });

  it('leaves no unqualified Fn::GetAtt [ApiLambdaFunction, Arn] anywhere in the resources', () => {
    expect(pathsWhere(template.Resources, sameJson(unqualifiedArn('ApiLambdaFunction')))).toEqual([]);
  });
});

describeWithCfnLint('cfn-lint (fixture events)', () => {
  it('finds nothing in the written template that it does not find in the same service without the plugin', async () => {
    const { template: baseline } = await packageBaseline(FIXTURE);
    const withPlugin = { file: packaged.templateFile as string };
    expect(await lintAgainstBaselines({ [FIXTURE]: { withPlugin, baseline } })).toEqual({ [FIXTURE]: [] });
  });
});
