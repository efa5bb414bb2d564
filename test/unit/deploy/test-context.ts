/** A TrafficContext for tests: a small service (api canary, worker linear, nightly in place), recorded output. */
import type { ListStackResourcesCommandOutput } from '@aws-sdk/client-cloudformation';
import { resolveSettings } from '../../../src/config/resolve';
import { createClients } from '../../../src/deploy/aws';
import { serviceFunctions, type StackResource } from '../../../src/deploy/stack-discovery';
import type { TrafficContext } from '../../../src/deploy/context';
import type { CfnTemplate } from '../../../src/types/cloudformation';
import { service } from '../../support/service';
import { APP, FakeClock } from './timeline';

export const API_GROUP = 'svc-dev-ApiTrafficShiftDeploymentGroup-X1';
export const WORKER_GROUP = 'svc-dev-WorkerTrafficShiftDeploymentGroup-X2';

export const settings = resolveSettings(
  service(
    {
      api: { type: 'Canary10Percent5Minutes', preTrafficHook: 'check' },
      worker: { type: 'Linear10PercentEvery1Minute' },
      nightly: { type: 'Canary10Percent5Minutes', stages: ['prod'] },
      check: undefined,
    },
    { stage: 'dev' },
  ),
);

/** The stack as a previous deploy left it: versions Old of each function. */
export function deployedStack(): StackResource[] {
  const r = (logicalId: string, type: string, physicalId: string): StackResource => ({ logicalId, type, physicalId });
  return [
    r('ServerlessDeploymentBucket', 'AWS::S3::Bucket', 'svc-dev-bucket'),
    r('TrafficShiftApplication', 'AWS::CodeDeploy::Application', APP),
    ...(['Api', 'Worker', 'Nightly'] as const).flatMap((fn) => [
      r(`${fn}LambdaFunction`, 'AWS::Lambda::Function', `svc-dev-${fn.toLowerCase()}`),
      r(
        `${fn}LambdaVersionOld`,
        'AWS::Lambda::Version',
        `arn:aws:lambda:us-east-1:123456789012:function:svc-dev-${fn.toLowerCase()}:6`,
      ),
      r(
        `${fn}TrafficShiftAlias`,
        'AWS::Lambda::Alias',
        `arn:aws:lambda:us-east-1:123456789012:function:svc-dev-${fn.toLowerCase()}:live`,
      ),
    ]),
    r('ApiTrafficShiftDeploymentGroup', 'AWS::CodeDeploy::DeploymentGroup', API_GROUP),
    r('WorkerTrafficShiftDeploymentGroup', 'AWS::CodeDeploy::DeploymentGroup', WORKER_GROUP),
  ];
}

/** ListStackResources' answer for these resources. */
export function stackSummaries(resources: readonly StackResource[]): ListStackResourcesCommandOutput {
  return {
    StackResourceSummaries: resources.map((r) => ({
      LogicalResourceId: r.logicalId,
      ResourceType: r.type,
      PhysicalResourceId: r.physicalId,
      ResourceStatus: 'UPDATE_COMPLETE',
      LastUpdatedTimestamp: new Date(0),
    })),
    $metadata: {},
  };
}

/** The compiled template of this deploy (aliases, application, groups): `versions` names the version each alias goes to (Old = unchanged). */
export function compiledTemplate(versions: Record<'Api' | 'Worker' | 'Nightly', string>): CfnTemplate {
  const resources: CfnTemplate['Resources'] = {};
  for (const [fn, version] of Object.entries(versions)) {
    resources[`${fn}TrafficShiftAlias`] = {
      Type: 'AWS::Lambda::Alias',
      Properties: {
        FunctionName: { Ref: `${fn}LambdaFunction` },
        FunctionVersion: { 'Fn::GetAtt': [`${fn}LambdaVersion${version}`, 'Version'] },
        Name: 'live',
      },
      ...(fn !== 'Nightly' && {
        UpdatePolicy: {
          CodeDeployLambdaAliasUpdate: {
            ApplicationName: { Ref: 'TrafficShiftApplication' },
            DeploymentGroupName: { Ref: `${fn}TrafficShiftDeploymentGroup` },
            ...(fn === 'Api' && { BeforeAllowTrafficHook: { Ref: 'CheckLambdaFunction' } }),
          },
        },
      }),
    };
  }
  // What else a deploy keeps: a template without them would remove them from the stack.
  resources.TrafficShiftApplication = {
    Type: 'AWS::CodeDeploy::Application',
    Properties: { ComputePlatform: 'Lambda' },
  };
  for (const fn of ['Api', 'Worker']) {
    resources[`${fn}TrafficShiftDeploymentGroup`] = {
      Type: 'AWS::CodeDeploy::DeploymentGroup',
      Properties: { ApplicationName: { Ref: 'TrafficShiftApplication' } },
    };
  }
  return { Resources: resources };
}

export interface Recorded {
  notices: string[];
  warnings: string[];
  errors: string[];
  text: string[];
}

export function testContext(over: Partial<Omit<TrafficContext, 'clients'>> & { clock?: FakeClock } = {}): {
  ctx: TrafficContext;
  out: Recorded;
  clock: FakeClock;
} {
  const out: Recorded = { notices: [], warnings: [], errors: [], text: [] };
  const clock = over.clock ?? new FakeClock();
  const ctx: TrafficContext = {
    stage: 'dev',
    region: 'us-east-1',
    stackName: 'svc-dev',
    clients: createClients({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    }),
    functions: () => serviceFunctions(settings, (name) => `svc-dev-${name}`),
    template: () => compiledTemplate({ Api: 'New', Worker: 'New', Nightly: 'New' }),
    deploySkipped: () => false,
    changeSetEmpty: () => false,
    options: {},
    cliSuffix: ' --stage dev --region us-east-1',
    logger: {
      notice: (m) => out.notices.push(m),
      info: () => undefined,
      warning: (m) => out.warnings.push(m),
      error: (m) => out.errors.push(m),
      writeText: (t) => out.text.push(t),
    },
    interactive: false,
    ...over,
    clock,
  };
  return { ctx, out, clock };
}
