/**
 * Migrating from serverless-plugin-canary-deployments 0.8.0 as users do it: the real `serverless` CLI (3.40.0),
 * spawned, against the local AWS of ./local-aws. The service (test/fixtures/e2e-migration) is deployed with the old
 * plugin (first deploy, then new code for api, which CodeDeploy shifts through the old plugin's deployment group);
 * then its `plugins:` names serverless-traffic-shift instead and it is deployed again with unchanged code (the switch);
 * then once more with new code for api. Asserted: the exact `[traffic]` lines; the aliases keep their name, ARN and
 * version in Lambda (moto); the old plugin's application and deployment groups are gone from the CodeDeploy stand-in,
 * its role (with AWSLambda_FullAccess attached) from IAM, all of them from the stack; the API Gateway method, the SNS
 * subscription and the EventBridge schedule invoke the alias before and after; the deploy after the switch shifts
 * through this plugin's deployment group, followed live.
 *
 * What the local AWS does not represent, so it is not checked here:
 * - Lambda permissions: moto keeps one policy per function whatever qualifier a permission names, so the alias a
 *   permission grants on is checked in the template only (test/integration/migration.test.ts).
 * - SQS event source mappings: moto records the version an alias serves when the mapping is made, where Lambda keeps
 *   the alias ARN; the fixture has none (the integration test's fixture has one).
 * - Inline IAM policies (the old plugin's codedeploy:PutLifecycleEventHookExecutionStatus on the shared execution
 *   role, which the switch removes): not provisioned by the local CloudFormation; checked in the template.
 * - The alias whose UpdatePolicy alone changes in the switch (it now names this plugin's application and group): the
 *   local CloudFormation updates a resource only when its properties change, so no Lambda call is made for it.
 *
 * The transcripts in docs/migrating.md marked `<!-- e2e-migration: <name> -->` are compared with what these tests
 * printed (last test).
 */
import { readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { APIGatewayClient, GetIntegrationCommand, GetResourcesCommand } from '@aws-sdk/client-api-gateway';
import { EventBridgeClient, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { GetRoleCommand, IAMClient, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { GetAliasCommand } from '@aws-sdk/client-lambda';
import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { describeWithMoto, MOTO_CREDENTIALS } from '../integration/moto-server';
import { normalise, serviceCopy, spawnSls, trafficLines, type Run } from './cli';
import { REGION, startLocalAws, type LocalAws } from './local-aws';
import { Transcripts } from './transcripts';

const describeE2e = describeWithMoto('test/e2e/migration.test.ts');
const transcripts = new Transcripts('e2e-migration');

const STACK = 'ts-migration-dev';
const ALIAS_ARN = (fn: string): string => `arn:aws:lambda:${REGION}:123456789012:function:${STACK}-${fn}:live`;
const OLD = {
  application: 'TsmigrationdevDeploymentApplication',
  groups: { api: 'ApiLambdaFunctionDeploymentGroup', worker: 'WorkerLambdaFunctionDeploymentGroup' },
  role: 'CodeDeployServiceRole',
  aliases: { api: 'ApiLambdaFunctionAliaslive', worker: 'WorkerLambdaFunctionAliaslive' },
};
const NEW = {
  application: 'TrafficShiftApplication',
  groups: { api: 'ApiTrafficShiftDeploymentGroup', worker: 'WorkerTrafficShiftDeploymentGroup' },
  role: 'TrafficShiftCodeDeployRole',
};

describeE2e('from serverless-plugin-canary-deployments 0.8.0, through the CLI against a local AWS', () => {
  let aws: LocalAws;
  let svc: ReturnType<typeof serviceCopy>;
  let clients: { iam: IAMClient; events: EventBridgeClient; sns: SNSClient; apiGateway: APIGatewayClient };
  /** The stack's physical ids with the old plugin, by logical id. */
  let before: Record<string, string>;
  let aliasesBefore: Record<string, unknown>;

  beforeAll(async () => {
    aws = await startLocalAws({ speed: 30 });
    svc = serviceCopy('e2e-migration', ['serverless-plugin-canary-deployments']);
    const config = { region: REGION, endpoint: aws.endpoint, credentials: MOTO_CREDENTIALS };
    clients = {
      iam: new IAMClient(config),
      events: new EventBridgeClient(config),
      sns: new SNSClient(config),
      apiGateway: new APIGatewayClient(config),
    };
  }, 60000);

  afterAll(async () => {
    await aws?.stop();
    svc?.remove();
  });

  afterEach(() => expect(aws.problems()).toEqual([]));

  const sls = (args: string[]): Promise<Run> =>
    spawnSls(args, { cwd: svc.dir, home: svc.home, env: aws.cliEnv() }).done;
  const changeApi = (content: string): void => writeFileSync(path.join(svc.dir, 'api.txt'), `api ${content}\n`);
  const alias = async (fn: 'api' | 'worker') => {
    const a = await aws.lambda.send(new GetAliasCommand({ FunctionName: `${STACK}-${fn}`, Name: 'live' }));
    return { AliasArn: a.AliasArn, Name: a.Name, FunctionVersion: a.FunctionVersion };
  };
  const stack = async (): Promise<Record<string, string>> => {
    const { StackResources } = (await aws.cloudFormation.handle(
      'DescribeStackResources',
      new URLSearchParams({ StackName: STACK }),
    )) as { StackResources: { LogicalResourceId: string; PhysicalResourceId: string }[] };
    return Object.fromEntries(StackResources.map((r) => [r.LogicalResourceId, r.PhysicalResourceId]));
  };
  /** A deployment group's configuration as the CodeDeploy stand-in answers for it, or the error it answers with. */
  const group = async (application: string, name: string): Promise<string> => {
    try {
      const answer = (await aws.codeDeploy.handle('BatchGetDeploymentGroups', {
        applicationName: application,
        deploymentGroupNames: [name],
      })) as { deploymentGroupsInfo: { deploymentConfigName: string }[]; errorMessage: string };
      return answer.deploymentGroupsInfo[0]?.deploymentConfigName ?? answer.errorMessage;
    } catch (error) {
      return (error as { type: string }).type;
    }
  };
  const managedPolicies = async (role: string): Promise<string[]> => {
    try {
      await clients.iam.send(new GetRoleCommand({ RoleName: role }));
    } catch (error) {
      return [(error as Error).name];
    }
    const { AttachedPolicies } = await clients.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role }));
    return (AttachedPolicies ?? []).map((p) => p.PolicyArn as string).sort();
  };
  /** What each event source of the fixture invokes, as the services record it. */
  const eventTargets = async () => {
    const ids = await stack();
    const rule = await clients.events.send(new ListTargetsByRuleCommand({ Rule: ids.WorkerEventsRuleSchedule1 }));
    const topic = await clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: ids.SNSTopicJobsdone }));
    const restApiId = ids.ApiGatewayRestApi as string;
    const { items } = await clients.apiGateway.send(new GetResourcesCommand({ restApiId }));
    const root = items?.find((i) => i.path === '/')?.id;
    const method = await clients.apiGateway.send(
      new GetIntegrationCommand({ restApiId, resourceId: root, httpMethod: 'GET' }),
    );
    return {
      http: method.uri,
      sns: (topic.Subscriptions ?? []).map((s) => `${s.Protocol} ${s.Endpoint}`),
      schedule: (rule.Targets ?? []).map((t) => t.Arn),
    };
  };
  const onAliases = {
    http: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${ALIAS_ARN('api')}/invocations`,
    sns: [`lambda ${ALIAS_ARN('worker')}`],
    schedule: [ALIAS_ARN('worker')],
  };
  const deployment = async (id: string) => {
    const { deploymentInfo } = (await aws.codeDeploy.handle('GetDeployment', { deploymentId: id })) as {
      deploymentInfo: { applicationName: string; deploymentGroupName: string; status: string };
    };
    return deploymentInfo;
  };

  it('with the old plugin: its aliases <Fn>Aliaslive, application, named groups and role; the event sources on the aliases', async () => {
    const run = await sls(['deploy']);
    expect(run.status).toBe(0);
    // The old plugin says nothing of traffic.
    expect(normalise(run.stderr)).toBe(
      [
        '',
        'Deploying ts-migration to stage dev (us-east-1)',
        '',
        '✔ Service deployed to stack ts-migration-dev (<duration>)',
        '',
      ].join('\n'),
    );
    const ids = await stack();
    expect(ids[OLD.aliases.api]).toBe(ALIAS_ARN('api'));
    expect(ids[OLD.aliases.worker]).toBe(ALIAS_ARN('worker'));
    expect(ids[OLD.groups.api]).toBe(`${STACK}-${OLD.groups.api}`);
    expect(await group(ids[OLD.application] as string, `${STACK}-${OLD.groups.api}`)).toBe(
      'CodeDeployDefault.LambdaCanary10Percent5Minutes',
    );
    expect(await managedPolicies(ids[OLD.role] as string)).toEqual([
      'arn:aws:iam::aws:policy/AWSLambda_FullAccess',
      'arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited',
    ]);
    expect(await alias('api')).toEqual({ AliasArn: ALIAS_ARN('api'), Name: 'live', FunctionVersion: '1' });
    expect(await eventTargets()).toEqual(onAliases);
  });

  it("with the old plugin, new code for api: CodeDeploy shifts it through the old plugin's deployment group", async () => {
    changeApi('2');
    const run = await sls(['deploy']);
    expect(run.status).toBe(0);
    expect(trafficLines(run)).toBe('');
    const [shifted] = aws.codeDeploy.list();
    const ids = await stack();
    expect(await deployment(shifted?.id as string)).toMatchObject({
      applicationName: ids[OLD.application],
      deploymentGroupName: `${STACK}-${OLD.groups.api}`,
      status: 'Succeeded',
    });
    expect(await alias('api')).toEqual({ AliasArn: ALIAS_ARN('api'), Name: 'live', FunctionVersion: '2' });
    before = ids;
    aliasesBefore = { api: await alias('api'), worker: await alias('worker') };
  });

  it('the switch, code unchanged: each alias keeps its logical id, name, ARN and version; the old CodeDeploy resources and role go; nothing shifts', async () => {
    const file = path.join(svc.dir, 'serverless.yml');
    const yml = readFileSync(file, 'utf8');
    expect(yml).toContain('\n  - serverless-plugin-canary-deployments\n');
    writeFileSync(
      file,
      yml.replace('\n  - serverless-plugin-canary-deployments\n', '\n  - serverless-traffic-shift\n'),
    );
    const deployments = aws.codeDeploy.list().length;

    const run = await sls(['deploy']);
    expect(run.status).toBe(0);
    const unchanged =
      'nothing shifts: its code and configuration are unchanged since the last deploy, so Lambda publishes no new version and there is nothing to shift.';
    expect(normalise(run.stderr)).toBe(
      [
        '',
        'Deploying ts-migration to stage dev (us-east-1)',
        'serverless-traffic-shift:',
        '  api: Canary10Percent5Minutes through alias "live" (0m → 10%, 5m → 100%)',
        '  worker: Linear10PercentEvery1Minute through alias "live" (0m → 10%, 1m → 20%, 2m → 30%, 3m → 40%, 4m → 50%, 5m → 60%, 6m → 70%, 7m → 80%, 8m → 90%, 9m → 100%)',
        '  preHook: not managed (pre-traffic hook of api; hooks are never shifted)',
        transcripts.record(
          'deploy-switch',
          [
            '[traffic] api: alias "live" keeps its deployed logical id ApiLambdaFunctionAliaslive (instead of ApiTrafficShiftAlias): CloudFormation updates it in place, with the same name and ARN.',
            '[traffic] worker: alias "live" keeps its deployed logical id WorkerLambdaFunctionAliaslive (instead of WorkerTrafficShiftAlias): CloudFormation updates it in place, with the same name and ARN.',
            '[traffic] this deploy removes from the stack: TsmigrationdevDeploymentApplication (AWS::CodeDeploy::Application), ApiLambdaFunctionDeploymentGroup (AWS::CodeDeploy::DeploymentGroup), WorkerLambdaFunctionDeploymentGroup (AWS::CodeDeploy::DeploymentGroup), CodeDeployServiceRole (AWS::IAM::Role).',
            `[traffic] api: ${unchanged}`,
            `[traffic] worker: ${unchanged}`,
          ].join('\n'),
        ),
        '',
        '✔ Service deployed to stack ts-migration-dev (<duration>)',
        '',
      ].join('\n'),
    );

    // Lambda: the same aliases, on the same versions; no CodeDeploy deployment.
    expect({ api: await alias('api'), worker: await alias('worker') }).toEqual(aliasesBefore);
    expect(aws.codeDeploy.list()).toHaveLength(deployments);
    // The stack: the aliases under their deployed ids, the old plugin's resources replaced by this plugin's.
    const ids = await stack();
    expect(ids[OLD.aliases.api]).toBe(ALIAS_ARN('api'));
    expect(ids[OLD.aliases.worker]).toBe(ALIAS_ARN('worker'));
    expect(Object.keys(ids).filter((id) => /TrafficShiftAlias$/.test(id))).toEqual([]);
    for (const id of [OLD.application, OLD.role, ...Object.values(OLD.groups)]) expect(ids[id]).toBeUndefined();
    for (const id of [NEW.application, NEW.role, ...Object.values(NEW.groups)]) expect(ids[id]).toBeDefined();
    // CodeDeploy and IAM: the old application, groups and role are gone; this plugin's are there.
    for (const name of Object.values(OLD.groups))
      expect(await group(before[OLD.application] as string, `${STACK}-${name}`)).toBe(
        'ApplicationDoesNotExistException',
      );
    expect(await group(ids[NEW.application] as string, ids[NEW.groups.api] as string)).toBe(
      'CodeDeployDefault.LambdaCanary10Percent5Minutes',
    );
    expect(await group(ids[NEW.application] as string, ids[NEW.groups.worker] as string)).toBe(
      'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
    );
    expect(await managedPolicies(before[OLD.role] as string)).toEqual(['NoSuchEntityException']);
    expect(await managedPolicies(ids[NEW.role] as string)).toEqual([
      'arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited',
    ]);
    // The event sources still invoke the aliases.
    expect(await eventTargets()).toEqual(onAliases);
  });

  it("the next deploy with new code for api shifts through this plugin's deployment group, followed live", async () => {
    changeApi('3');
    const run = await sls(['deploy']);
    expect(run.status).toBe(0);
    const last = aws.codeDeploy.list().slice(-1)[0];
    expect(normalise(transcripts.record('deploy-after-switch', trafficLines(run)))).toBe(
      [
        '[traffic] worker: nothing shifts: its code and configuration are unchanged since the last deploy, so Lambda publishes no new version and there is nothing to shift.',
        '[traffic] following the rollout of api (CodeDeploy)',
        '[traffic] api: waiting for CloudFormation to start the CodeDeploy deployment',
        `[traffic] api: deployment ${last?.id} created (Canary10Percent5Minutes) · pre-traffic hook function preHook pending · alarms: 1 OK`,
        '[traffic] api: 0% on version 3, 100% on version 2, checks before any traffic moves (Canary10Percent5Minutes) · pre-traffic hook function preHook running · alarms: 1 OK',
        '[traffic] api: 10% on version 3, 90% on version 2 (Canary10Percent5Minutes) · step 1/2 · 100% at HH:MM:SS UTC · pre-traffic hook function preHook passed · alarms: 1 OK',
        '[traffic] api: 100% on version 3 · pre-traffic hook function preHook passed · alarms: 1 OK',
        '[traffic] api: done, 100% on version 3 (Canary10Percent5Minutes, <duration>)',
      ].join('\n'),
    );
    const ids = await stack();
    expect(await deployment(last?.id as string)).toMatchObject({
      applicationName: ids[NEW.application],
      deploymentGroupName: ids[NEW.groups.api],
      status: 'Succeeded',
    });
    expect(await alias('api')).toEqual({ AliasArn: ALIAS_ARN('api'), Name: 'live', FunctionVersion: '3' });
    expect(await eventTargets()).toEqual(onAliases);
  });

  it('the transcripts in docs/migrating.md marked e2e-migration are what these tests printed', () => {
    const { documented, recorded } = transcripts.compare('docs/migrating.md');
    expect(documented).toEqual(recorded);
  });
});
