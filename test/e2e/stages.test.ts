/**
 * A stage where the functions move in place, and a deploy where nothing changed, as users run them: the real
 * `serverless` CLI (3.40.0), spawned, against the local AWS of ./local-aws. The service (test/fixtures/e2e-stages)
 * shifts on a canary in stage prod only (`stages: [prod]`) and is deployed to stage dev: first deploy, a deploy that
 * changes api's code (its alias goes to the new version at once, without any CodeDeploy deployment; worker's alias
 * stays), a deploy with nothing changed (the framework skips the stack update; no change set is made), and
 * `traffic status` in that stage. Each assertion is on the exact output (durations normalised).
 *
 * The transcripts in docs/commands.md marked `<!-- e2e-stages: <name> -->` are compared with what these tests
 * printed (last test).
 */
import { writeFileSync } from 'fs';
import * as path from 'path';
import { GetAliasCommand } from '@aws-sdk/client-lambda';
import { describeWithMoto } from '../integration/moto-server';
import { normalise, serviceCopy, spawnSls, trafficLines, type Run } from './cli';
import { startLocalAws, type LocalAws } from './local-aws';
import { Transcripts } from './transcripts';

const describeE2e = describeWithMoto('test/e2e/stages.test.ts');
const transcripts = new Transcripts('e2e-stages');

const summary = [
  'serverless-traffic-shift:',
  '  api: in place through alias "live", no gradual shift (stage "dev" is not in stages [prod])',
  '  worker: in place through alias "live", no gradual shift (stage "dev" is not in stages [prod])',
];
const inPlace =
  'nothing shifts: it moves in place in this stage (stage "dev" is not in stages [prod]): the alias goes to the new version at once, without CodeDeploy.';

describeE2e('a stage where functions move in place, and a deploy with nothing changed, against a local AWS', () => {
  let aws: LocalAws;
  let svc: ReturnType<typeof serviceCopy>;

  beforeAll(async () => {
    aws = await startLocalAws({ speed: 30 });
    svc = serviceCopy('e2e-stages');
  }, 60000);

  afterAll(async () => {
    await aws?.stop();
    svc?.remove();
  });

  afterEach(() => expect(aws.problems()).toEqual([]));

  const sls = (args: string[]): Promise<Run> =>
    spawnSls([...args, '--stage', 'dev'], { cwd: svc.dir, home: svc.home, env: aws.cliEnv() }).done;
  const alias = async (fn: string) => {
    const a = await aws.lambda.send(new GetAliasCommand({ FunctionName: `stages-dev-${fn}`, Name: 'live' }));
    return { version: a.FunctionVersion, weights: a.RoutingConfig?.AdditionalVersionWeights ?? {} };
  };
  const stackTypes = async (): Promise<string[]> => {
    const { StackResources } = (await aws.cloudFormation.handle(
      'DescribeStackResources',
      new URLSearchParams({ StackName: 'stages-dev' }),
    )) as { StackResources: { ResourceType: string }[] };
    return [...new Set(StackResources.map((r) => r.ResourceType))].sort();
  };

  it('first deploy: the aliases are created on version 1; the stack holds no CodeDeploy resource', async () => {
    const run = await sls(['deploy']);
    expect(run.status).toBe(0);
    expect(normalise(run.stderr)).toBe(
      [
        '',
        'Deploying stages to stage dev (us-east-1)',
        ...summary,
        `[traffic] api: ${inPlace}`,
        `[traffic] worker: ${inPlace}`,
        '',
        '✔ Service deployed to stack stages-dev (<duration>)',
        '',
      ].join('\n'),
    );
    expect(await alias('api')).toEqual({ version: '1', weights: {} });
    expect(await alias('worker')).toEqual({ version: '1', weights: {} });
    expect(await stackTypes()).toEqual([
      'AWS::IAM::Role',
      'AWS::Lambda::Alias',
      'AWS::Lambda::Function',
      'AWS::Lambda::Version',
      'AWS::Logs::LogGroup',
      'AWS::S3::Bucket',
      'AWS::S3::BucketPolicy',
    ]);
  });

  it("new code for api: its alias goes to version 2 at once, without a CodeDeploy deployment; worker's stays", async () => {
    writeFileSync(path.join(svc.dir, 'api.txt'), 'api 2\n');
    const run = await sls(['deploy']);
    expect(run.status).toBe(0);
    expect(transcripts.record('deploy-in-place', trafficLines(run))).toBe(
      [
        `[traffic] api: ${inPlace}`,
        '[traffic] worker: nothing shifts: its code and configuration are unchanged since the last deploy, so Lambda publishes no new version and there is nothing to shift.',
      ].join('\n'),
    );
    expect(await alias('api')).toEqual({ version: '2', weights: {} });
    expect(await alias('worker')).toEqual({ version: '1', weights: {} });
    expect(aws.codeDeploy.list()).toEqual([]);
  });

  it('nothing changed: the framework skips the stack update, no change set is made, and the deploy says so', async () => {
    const changeSets = aws.cloudFormation.changeSetLog.length;
    const run = await sls(['deploy']);
    expect(run.status).toBe(0);
    expect(normalise(run.stderr)).toBe(
      [
        '',
        'Deploying stages to stage dev (us-east-1)',
        ...summary,
        '[traffic] nothing shifts: code and configuration are unchanged since the last deploy, so the framework skips the stack update.',
        '',
        'No changes to deploy. Deployment skipped. (<duration>)',
        '',
      ].join('\n'),
    );
    transcripts.record('deploy-unchanged', run.stderr.slice(run.stderr.indexOf('[traffic]')).trim());
    expect(aws.cloudFormation.changeSetLog.length).toBe(changeSets);
    expect(await alias('api')).toEqual({ version: '2', weights: {} });
  });

  it('traffic status: the functions move in place in this stage, so there is no rollout to show', async () => {
    const run = await sls(['traffic', 'status']);
    expect(run.status).toBe(0);
    expect(transcripts.record('status-in-place', run.stdout.trim())).toBe(
      [
        'Traffic status of stage "dev" (stack stages-dev, us-east-1)',
        '',
        'api',
        '  alias         live → version 2 (100%)',
        '  strategy      in place (stage "dev" is not in stages [prod]): the alias moves at once, no CodeDeploy',
        '  in progress   no',
        '',
        'worker',
        '  alias         live → version 1 (100%)',
        '  strategy      in place (stage "dev" is not in stages [prod]): the alias moves at once, no CodeDeploy',
        '  in progress   no',
      ].join('\n'),
    );
  });

  it('the transcripts in docs/commands.md marked e2e-stages are what these tests printed', () => {
    const { documented, recorded } = transcripts.compare('docs/commands.md');
    expect(documented).toEqual(recorded);
  });
});
