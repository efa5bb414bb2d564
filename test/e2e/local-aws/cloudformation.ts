/**
 * A small CloudFormation for the spawned `serverless deploy`: the query API the framework (SDK v2) and the plugin
 * (SDK v3) call, with stacks, change sets, events and resources, provisioning each resource through moto's own APIs
 * (S3, IAM, Lambda, CloudWatch; for event sources EventBridge, SNS and API Gateway) or the CodeDeploy stand-in.
 * moto's own CloudFormation cannot take the plugin's templates (it skips aliases, CodeDeploy resources and alarms,
 * and fails on a policy that names a Lambda version), so the tests do not use it.
 *
 * What it does as CloudFormation does: change sets (CREATE and UPDATE, with their list of changes), resources in
 * dependency order (Ref, Fn::GetAtt, Fn::Sub, DependsOn, the UpdatePolicy's references), updates only of resources
 * whose resolved properties changed, removal of those the template dropped after the update, dependents first (kept
 * when `DeletionPolicy: Retain`; deleted in the stand-in for CodeDeploy applications and groups, in moto for IAM
 * roles, their managed policies detached first; other types only leave the stack), and an alias with a
 * `CodeDeployLambdaAliasUpdate` UpdatePolicy that moves to a new version in an update: the update waits for the
 * CodeDeploy deployment and fails with it (UPDATE_FAILED, UPDATE_ROLLBACK_COMPLETE; the functions get their previous
 * code and configuration back). Roles get their `ManagedPolicyArns` attached in moto. Stack events, newest first, as
 * the framework's monitor reads them.
 *
 * Not modelled: parameters beyond their defaults, conditions, nested stacks, custom resources, drift, stack
 * policies, replacement of resources, inline IAM policies, Lambda permissions (moto keeps one policy per function
 * whatever the qualifier, so they are recorded in the stack only), resource types the e2e fixtures do not use (an
 * unknown type fails the update).
 */
import { GetObjectCommand, CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import {
  APIGatewayClient,
  CreateDeploymentCommand,
  CreateRestApiCommand,
  PutIntegrationCommand,
  PutMethodCommand,
} from '@aws-sdk/client-api-gateway';
import {
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateTopicCommand,
  ListSubscriptionsByTopicCommand,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateAliasCommand,
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  LambdaClient,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateEventSourceMappingCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { MOTO_CREDENTIALS } from '../../integration/moto-server';
import { IdSource, type VirtualClock } from './clock';
import type { CodeDeployStandIn, Routing } from './codedeploy';

type Json = Record<string, unknown>;

export interface CloudFormationOptions {
  clock: VirtualClock;
  ids: IdSource;
  region: string;
  account: string;
  s3: S3Client;
  iam: IAMClient;
  lambda: LambdaClient;
  cloudWatch: CloudWatchClient;
  codeDeploy: CodeDeployStandIn;
  /** moto's endpoint, for the event sources' services (EventBridge, SNS, API Gateway). */
  motoEndpoint?: string;
}

export class CfnError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Resource {
  logicalId: string;
  type: string;
  physicalId: string;
  attributes: Record<string, string>;
  /** Properties as resolved when last applied. */
  properties: Json;
  status: string;
  updated: number;
}

interface StackEvent {
  EventId: string;
  LogicalResourceId: string;
  PhysicalResourceId: string;
  ResourceType: string;
  ResourceStatus: string;
  ResourceStatusReason?: string;
  Timestamp: Date;
}

interface Stack {
  name: string;
  id: string;
  status: string;
  created: number;
  updated?: number;
  template?: Json;
  resources: Map<string, Resource>;
  outputs: { OutputKey: string; OutputValue: string; Description?: string; ExportName?: string }[];
  events: StackEvent[];
  tags: { Key: string; Value: string }[];
  changeSets: Map<string, ChangeSet>;
}

interface ChangeSet {
  name: string;
  id: string;
  type: 'CREATE' | 'UPDATE';
  template: Json;
  changes: { Action: string; LogicalResourceId: string; ResourceType: string }[];
}

const PSEUDO = [
  'AWS::Region',
  'AWS::AccountId',
  'AWS::Partition',
  'AWS::StackName',
  'AWS::StackId',
  'AWS::URLSuffix',
  'AWS::NoValue',
];

export class LocalCloudFormation {
  private readonly stacks = new Map<string, Stack>();
  /** Errors of stack operations running in the background (a test fails on them at the end). */
  readonly problems: string[] = [];
  /** Every change set created, for tests that check nothing was deployed. */
  readonly changeSetLog: string[] = [];
  /** When each function's code or configuration was last changed (real time; moto keeps the creation time). */
  private readonly functionsUpdated = new Map<string, Date>();

  /** The event sources' services in moto. */
  private readonly sources: { events: EventBridgeClient; sns: SNSClient; apiGateway: APIGatewayClient };

  constructor(private readonly o: CloudFormationOptions) {
    const config = { region: o.region, endpoint: o.motoEndpoint, credentials: MOTO_CREDENTIALS };
    this.sources = {
      events: new EventBridgeClient(config),
      sns: new SNSClient(config),
      apiGateway: new APIGatewayClient(config),
    };
  }

  async handle(action: string, p: URLSearchParams): Promise<Json> {
    switch (action) {
      case 'DescribeStacks': {
        const name = p.get('StackName');
        const stacks = name ? [this.stack(name)] : [...this.stacks.values()];
        return { Stacks: stacks.map((s) => this.describe(s)) };
      }
      case 'DescribeStackResource': {
        const s = this.stack(p.get('StackName'));
        const r = s.resources.get(p.get('LogicalResourceId') ?? '');
        if (!r)
          throw new CfnError(
            'ValidationError',
            `Resource ${p.get('LogicalResourceId')} does not exist for stack ${s.name}`,
          );
        return {
          StackResourceDetail: {
            StackName: s.name,
            StackId: s.id,
            LogicalResourceId: r.logicalId,
            PhysicalResourceId: r.physicalId,
            ResourceType: r.type,
            LastUpdatedTimestamp: new Date(r.updated),
            ResourceStatus: r.status,
          },
        };
      }
      case 'DescribeStackResources': {
        const s = this.stack(p.get('StackName'));
        return { StackResources: [...s.resources.values()].map((r) => this.summary(r, s)) };
      }
      case 'ListStackResources': {
        const s = this.stack(p.get('StackName'));
        // Pages of 3, so that callers follow NextToken.
        const all = [...s.resources.values()];
        const start = Number(p.get('NextToken') ?? 0);
        return {
          StackResourceSummaries: all.slice(start, start + 3).map((r) => this.summary(r)),
          ...(start + 3 < all.length && { NextToken: String(start + 3) }),
        };
      }
      case 'DescribeStackEvents': {
        const s = this.stack(p.get('StackName'));
        return { StackEvents: s.events.map((e) => ({ ...e, StackId: s.id, StackName: s.name })) };
      }
      case 'GetTemplate': {
        const s = this.stack(p.get('StackName'));
        return { TemplateBody: JSON.stringify(s.template ?? {}) };
      }
      case 'ValidateTemplate': {
        const template = await this.template(p);
        if (!template.Resources || typeof template.Resources !== 'object')
          throw new CfnError(
            'ValidationError',
            'Template format error: At least one Resources member must be defined.',
          );
        return {
          Parameters: [],
          Capabilities: ['CAPABILITY_IAM'],
          CapabilitiesReason: 'The following resource(s) require capabilities: [AWS::IAM::Role]',
        };
      }
      case 'CreateChangeSet':
        return this.createChangeSet(p);
      case 'DescribeChangeSet': {
        const s = this.stack(p.get('StackName'));
        const cs = this.changeSet(s, p.get('ChangeSetName'));
        const empty = cs.changes.length === 0;
        return {
          ChangeSetName: cs.name,
          ChangeSetId: cs.id,
          StackId: s.id,
          StackName: s.name,
          Status: empty ? 'FAILED' : 'CREATE_COMPLETE',
          ...(empty && {
            StatusReason:
              "The submitted information didn't contain changes. Submit different information to create a change set.",
          }),
          ExecutionStatus: empty ? 'UNAVAILABLE' : 'AVAILABLE',
          Changes: cs.changes.map((c) => ({ Type: 'Resource', ResourceChange: { ...c, Replacement: 'False' } })),
        };
      }
      case 'DeleteChangeSet': {
        const s = this.stacks.get(p.get('StackName') ?? '');
        s?.changeSets.delete(p.get('ChangeSetName') ?? '');
        return {};
      }
      case 'ExecuteChangeSet': {
        const s = this.stack(p.get('StackName'));
        const cs = this.changeSet(s, p.get('ChangeSetName'));
        s.changeSets.delete(cs.name);
        this.run(s, cs);
        return {};
      }
      case 'DescribeStackResourceDrifts':
      default:
        throw new CfnError('InvalidAction', `The local CloudFormation does not implement ${action}`);
    }
  }

  /**
   * The function's LastModified as Lambda gives it ("the date and time that the function was last updated"): moto
   * leaves it at the creation time through code and configuration updates, so the router puts this one in its
   * answers. The framework compares it with its uploads' times to tell whether it may skip a deploy.
   */
  lastModified(functionName: string): Date | undefined {
    return this.functionsUpdated.get(functionName.split(':')[6] ?? functionName);
  }

  private stack(name: string | null): Stack {
    const s = [...this.stacks.values()].find((x) => x.name === name || x.id === name);
    if (!s) throw new CfnError('ValidationError', `Stack with id ${name} does not exist`);
    return s;
  }

  private changeSet(s: Stack, name: string | null): ChangeSet {
    const cs = [...s.changeSets.values()].find((c) => c.name === name || c.id === name);
    if (!cs) throw new CfnError('ChangeSetNotFound', `ChangeSet [${name}] does not exist`);
    return cs;
  }

  private describe(s: Stack): Json {
    return {
      StackName: s.name,
      StackId: s.id,
      StackStatus: s.status,
      CreationTime: new Date(s.created),
      ...(s.updated && { LastUpdatedTime: new Date(s.updated) }),
      Outputs: s.outputs,
      Tags: s.tags,
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
    };
  }

  private summary(r: Resource, s?: Stack): Json {
    return {
      ...(s && { StackName: s.name, StackId: s.id, Timestamp: new Date(r.updated) }),
      LogicalResourceId: r.logicalId,
      PhysicalResourceId: r.physicalId,
      ResourceType: r.type,
      LastUpdatedTimestamp: new Date(r.updated),
      ResourceStatus: r.status,
    };
  }

  private async template(p: URLSearchParams): Promise<Json> {
    const body = p.get('TemplateBody');
    if (body) return JSON.parse(body) as Json;
    const url = p.get('TemplateURL');
    if (!url) throw new CfnError('ValidationError', 'Either Template URL or Template Body must be specified.');
    const [bucket, ...key] = new URL(url).pathname.slice(1).split('/');
    const object = await this.o.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key.join('/') }));
    return JSON.parse(await (object.Body as { transformToString(): Promise<string> }).transformToString()) as Json;
  }

  private async createChangeSet(p: URLSearchParams): Promise<Json> {
    const name = p.get('StackName') ?? '';
    const type = p.get('ChangeSetType') === 'CREATE' ? 'CREATE' : 'UPDATE';
    let s = this.stacks.get(name);
    if (type === 'CREATE') {
      if (s) throw new CfnError('AlreadyExistsException', `Stack [${name}] already exists`);
      s = {
        name,
        id: `arn:aws:cloudformation:${this.o.region}:${this.o.account}:stack/${name}/${this.o.ids.uuid()}`,
        status: 'REVIEW_IN_PROGRESS',
        created: this.o.clock.nowMs(),
        resources: new Map(),
        outputs: [],
        events: [],
        tags: tagsOf(p),
        changeSets: new Map(),
      };
      this.stacks.set(name, s);
    } else if (!s) throw new CfnError('ValidationError', `Stack [${name}] does not exist`);
    if (s.status.endsWith('_IN_PROGRESS') && s.status !== 'REVIEW_IN_PROGRESS')
      throw new CfnError('ValidationError', `Stack:${s.id} is in ${s.status} state and can not be updated.`);
    const template = await this.template(p);
    const resources = (template.Resources ?? {}) as Record<string, Json>;
    const old = (s.template?.Resources ?? {}) as Record<string, Json>;
    const changes: ChangeSet['changes'] = [];
    for (const [id, r] of Object.entries(resources)) {
      if (!(id in old)) changes.push({ Action: 'Add', LogicalResourceId: id, ResourceType: String(r.Type) });
      else if (JSON.stringify(old[id]) !== JSON.stringify(r))
        changes.push({ Action: 'Modify', LogicalResourceId: id, ResourceType: String(r.Type) });
    }
    for (const [id, r] of Object.entries(old))
      if (!(id in resources)) changes.push({ Action: 'Remove', LogicalResourceId: id, ResourceType: String(r.Type) });
    if (JSON.stringify(template.Outputs ?? {}) !== JSON.stringify(s.template?.Outputs ?? {}) && changes.length === 0)
      changes.push({ Action: 'Modify', LogicalResourceId: 'Outputs', ResourceType: 'AWS::CloudFormation::Stack' });
    const cs: ChangeSet = {
      name: p.get('ChangeSetName') ?? 'changeset',
      id: `arn:aws:cloudformation:${this.o.region}:${this.o.account}:changeSet/${p.get('ChangeSetName')}/${this.o.ids.uuid()}`,
      type,
      template,
      changes,
    };
    s.changeSets.set(cs.name, cs);
    this.changeSetLog.push(`${name} ${type}`);
    return { Id: cs.id, StackId: s.id };
  }

  private event(s: Stack, logicalId: string, type: string, status: string, physicalId = '', reason?: string): void {
    s.events.unshift({
      EventId: this.o.ids.uuid(),
      LogicalResourceId: logicalId,
      PhysicalResourceId: physicalId,
      ResourceType: type,
      ResourceStatus: status,
      ...(reason && { ResourceStatusReason: reason }),
      Timestamp: this.o.clock.now(),
    });
  }

  /** Executes a change set in the background, as CloudFormation does. */
  private run(s: Stack, cs: ChangeSet): void {
    const action = cs.type === 'CREATE' ? 'CREATE' : 'UPDATE';
    s.status = `${action}_IN_PROGRESS`;
    this.event(s, s.name, 'AWS::CloudFormation::Stack', s.status, s.id, 'User Initiated');
    const before = { template: s.template, resources: new Map(s.resources), outputs: s.outputs };
    void this.apply(s, cs.template, action)
      .then(() => {
        s.template = cs.template;
        s.updated = this.o.clock.nowMs();
        s.status = `${action}_COMPLETE`;
        this.event(s, s.name, 'AWS::CloudFormation::Stack', s.status, s.id);
      })
      .catch(async (error: unknown) => {
        const rollback = action === 'CREATE' ? 'ROLLBACK' : 'UPDATE_ROLLBACK';
        s.status = `${rollback}_IN_PROGRESS`;
        this.event(
          s,
          s.name,
          'AWS::CloudFormation::Stack',
          s.status,
          s.id,
          `The following resource(s) failed to ${action.toLowerCase()}: [${(error as { logicalId?: string }).logicalId ?? ''}]. `,
        );
        try {
          await this.restore(s, before.resources);
        } catch (e) {
          this.problems.push(`rollback of ${s.name}: ${(e as Error).message}`);
        }
        s.template = before.template;
        s.resources = before.resources;
        s.outputs = before.outputs;
        s.status = `${rollback}_COMPLETE`;
        this.event(s, s.name, 'AWS::CloudFormation::Stack', s.status, s.id);
        if (!(error instanceof ResourceFailure))
          this.problems.push(`${s.name}: ${(error as Error).stack ?? String(error)}`);
      });
  }

  private async apply(s: Stack, template: Json, action: 'CREATE' | 'UPDATE'): Promise<void> {
    const resources = (template.Resources ?? {}) as Record<string, Json>;
    for (const id of order(resources)) {
      const spec = resources[id] as Json;
      const type = String(spec.Type);
      const properties = resolve((spec.Properties ?? {}) as Json, s, this.o) as Json;
      const existing = s.resources.get(id);
      if (existing && JSON.stringify(existing.properties) === JSON.stringify(properties)) continue;
      const phase = existing ? 'UPDATE' : 'CREATE';
      this.event(s, id, type, `${phase}_IN_PROGRESS`, existing?.physicalId ?? '');
      try {
        const made = await this.provision(s, id, type, properties, spec, existing);
        const resource: Resource = {
          logicalId: id,
          type,
          physicalId: made.physicalId,
          attributes: made.attributes ?? {},
          properties,
          status: `${phase}_COMPLETE`,
          updated: this.o.clock.nowMs(),
        };
        s.resources.set(id, resource);
        this.event(s, id, type, resource.status, resource.physicalId);
      } catch (error) {
        const reason =
          error instanceof ResourceFailure
            ? error.message
            : `Resource handler returned message: "${(error as Error).message}"`;
        this.event(s, id, type, `${phase}_FAILED`, existing?.physicalId ?? '', reason);
        throw error instanceof ResourceFailure
          ? Object.assign(error, { logicalId: id })
          : Object.assign(new ResourceFailure(reason), { logicalId: id, cause: error });
      }
    }
    s.outputs = Object.entries((template.Outputs ?? {}) as Record<string, Json>).map(([key, output]) => ({
      OutputKey: key,
      OutputValue: String(resolve(output.Value, s, this.o)),
      ...(output.Description !== undefined && { Description: String(output.Description) }),
      ...(output.Export !== undefined && { ExportName: String(resolve((output.Export as Json).Name, s, this.o)) }),
    }));
    if (action === 'UPDATE') {
      s.status = 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS';
      this.event(s, s.name, 'AWS::CloudFormation::Stack', s.status, s.id);
    }
    // What the template dropped, dependents first (a deployment group before its application and role).
    const previous = (s.template?.Resources ?? {}) as Record<string, Json>;
    const dropped = [...order(previous).reverse(), ...s.resources.keys()].filter((id) => !(id in resources));
    for (const id of new Set(dropped)) {
      const r = s.resources.get(id);
      if (!r) continue;
      const retained = previous[id]?.DeletionPolicy === 'Retain';
      if (!retained) await this.remove(r);
      this.event(s, id, r.type, retained ? 'DELETE_SKIPPED' : 'DELETE_COMPLETE', r.physicalId);
      s.resources.delete(id);
    }
  }

  /** After a failed update: the functions, alarms and groups as they were (CodeDeploy has put the alias back). */
  private async restore(s: Stack, resources: Map<string, Resource>): Promise<void> {
    for (const [id, old] of resources) {
      const now = s.resources.get(id);
      if (!now || JSON.stringify(now.properties) === JSON.stringify(old.properties)) continue;
      if (['AWS::Lambda::Function', 'AWS::CloudWatch::Alarm', 'AWS::CodeDeploy::DeploymentGroup'].includes(old.type)) {
        this.event(s, id, old.type, 'UPDATE_IN_PROGRESS', old.physicalId);
        await this.provision(s, id, old.type, old.properties, {}, now);
        this.event(s, id, old.type, 'UPDATE_COMPLETE', old.physicalId);
      }
    }
  }

  /**
   * Deletes a resource the template dropped: CodeDeploy applications and deployment groups in the stand-in, IAM roles
   * in moto (the managed policies detached first, as CloudFormation does). Other types only leave the stack.
   */
  private async remove(r: Resource): Promise<void> {
    switch (r.type) {
      case 'AWS::CodeDeploy::DeploymentGroup':
        this.o.codeDeploy.deleteGroup(String(r.properties.ApplicationName), r.physicalId);
        return;
      case 'AWS::CodeDeploy::Application':
        this.o.codeDeploy.deleteApplication(r.physicalId);
        return;
      case 'AWS::IAM::Role': {
        const attached = await this.o.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: r.physicalId }));
        for (const policy of attached.AttachedPolicies ?? [])
          await this.o.iam.send(new DetachRolePolicyCommand({ RoleName: r.physicalId, PolicyArn: policy.PolicyArn }));
        await this.o.iam.send(new DeleteRoleCommand({ RoleName: r.physicalId }));
        return;
      }
    }
  }

  private generatedName(s: Stack, logicalId: string, max = 64): string {
    return (
      `${s.name}-${logicalId}`.slice(0, max - 13) +
      `-${IdSource.named(`${s.name}/${logicalId}`, 12, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}`
    );
  }

  private async provision(
    s: Stack,
    id: string,
    type: string,
    p: Json,
    spec: Json,
    existing: Resource | undefined,
  ): Promise<{ physicalId: string; attributes?: Record<string, string> }> {
    const arn = (service: string, rest: string): string =>
      `arn:aws:${service}:${this.o.region}:${this.o.account}:${rest}`;
    switch (type) {
      case 'AWS::S3::Bucket': {
        if (existing) return existing;
        const name = String(p.BucketName ?? this.generatedName(s, id, 63)).toLowerCase();
        await this.o.s3.send(new CreateBucketCommand({ Bucket: name }));
        return { physicalId: name, attributes: { Arn: `arn:aws:s3:::${name}` } };
      }
      case 'AWS::S3::BucketPolicy':
      case 'AWS::IAM::Policy':
      case 'AWS::Lambda::Permission':
        return existing ?? { physicalId: this.generatedName(s, id) };
      case 'AWS::Logs::LogGroup':
        return (
          existing ?? {
            physicalId: String(p.LogGroupName ?? this.generatedName(s, id)),
            attributes: { Arn: arn('logs', `log-group:${String(p.LogGroupName)}:*`) },
          }
        );
      case 'AWS::IAM::Role': {
        // Managed policies: attached (and, in an update, detached) in moto; inline ones are not modelled.
        const policies = (p.ManagedPolicyArns ?? []) as string[];
        const before = (existing?.properties.ManagedPolicyArns ?? []) as string[];
        const roleName = existing?.physicalId ?? String(p.RoleName ?? this.generatedName(s, id));
        const attach = async (): Promise<void> => {
          for (const arn of policies.filter((a) => !before.includes(a)))
            await this.o.iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: arn }));
          for (const arn of before.filter((a) => !policies.includes(a)))
            await this.o.iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: arn }));
        };
        if (existing) {
          await attach();
          return existing;
        }
        const name = roleName;
        const made = await this.o.iam.send(
          new CreateRoleCommand({
            RoleName: name,
            Path: String(p.Path ?? '/'),
            AssumeRolePolicyDocument: JSON.stringify(p.AssumeRolePolicyDocument),
          }),
        );
        await attach();
        return {
          physicalId: name,
          attributes: {
            Arn: made.Role?.Arn ?? `arn:aws:iam::${this.o.account}:role/${name}`,
            RoleId: made.Role?.RoleId ?? name,
          },
        };
      }
      case 'AWS::Lambda::Function': {
        const code = p.Code as Json;
        if (!code.S3Bucket) throw new Error('the local CloudFormation deploys Lambda code from S3 only');
        const name = String(p.FunctionName ?? this.generatedName(s, id));
        const config = {
          FunctionName: name,
          Runtime: p.Runtime as never,
          Handler: p.Handler as string,
          Role: String(p.Role),
          ...(p.MemorySize !== undefined && { MemorySize: Number(p.MemorySize) }),
          ...(p.Timeout !== undefined && { Timeout: Number(p.Timeout) }),
          ...(p.Environment !== undefined && { Environment: p.Environment as never }),
          ...(p.Description !== undefined && { Description: String(p.Description) }),
        };
        if (!existing)
          await this.o.lambda.send(
            new CreateFunctionCommand({
              ...config,
              Code: { S3Bucket: String(code.S3Bucket), S3Key: String(code.S3Key) },
            }),
          );
        else {
          if (JSON.stringify(existing.properties.Code) !== JSON.stringify(code))
            await this.o.lambda.send(
              new UpdateFunctionCodeCommand({
                FunctionName: name,
                S3Bucket: String(code.S3Bucket),
                S3Key: String(code.S3Key),
              }),
            );
          await waitUntilFunctionUpdatedV2({ client: this.o.lambda, maxWaitTime: 30 }, { FunctionName: name });
          await this.o.lambda.send(new UpdateFunctionConfigurationCommand(config));
          this.functionsUpdated.set(name, new Date());
        }
        return { physicalId: name, attributes: { Arn: arn('lambda', `function:${name}`) } };
      }
      case 'AWS::Lambda::Version': {
        if (existing) return existing;
        const published = await this.o.lambda.send(new PublishVersionCommand({ FunctionName: String(p.FunctionName) }));
        const version = String(published.Version);
        return {
          physicalId: arn('lambda', `function:${String(p.FunctionName)}:${version}`),
          attributes: { Version: version },
        };
      }
      case 'AWS::Lambda::Alias': {
        const fn = String(p.FunctionName);
        const name = String(p.Name);
        const physicalId = arn('lambda', `function:${fn}:${name}`);
        const policy = (spec.UpdatePolicy as Json | undefined)?.CodeDeployLambdaAliasUpdate as Json | undefined;
        if (!existing) {
          await this.o.lambda.send(
            new CreateAliasCommand({ FunctionName: fn, Name: name, FunctionVersion: String(p.FunctionVersion) }),
          );
        } else if (policy && existing.properties.FunctionVersion !== p.FunctionVersion) {
          const resolved = resolve(policy, s, this.o) as Json;
          const deployment = this.o.codeDeploy.createDeployment({
            applicationName: String(resolved.ApplicationName),
            deploymentGroupName: String(resolved.DeploymentGroupName),
            functionName: fn,
            alias: name,
            currentVersion: String(existing.properties.FunctionVersion),
            targetVersion: String(p.FunctionVersion),
            ...(resolved.BeforeAllowTrafficHook !== undefined && {
              beforeHook: String(resolved.BeforeAllowTrafficHook),
            }),
            ...(resolved.AfterAllowTrafficHook !== undefined && { afterHook: String(resolved.AfterAllowTrafficHook) }),
          });
          const outcome = await deployment.done;
          if (!outcome.succeeded)
            throw new ResourceFailure(
              `CodeDeploy deployment ${deployment.id} of ${fn}:${name} ended ${outcome.status} (${outcome.reason}).`,
            );
        } else {
          await this.o.lambda.send(
            new UpdateAliasCommand({
              FunctionName: fn,
              Name: name,
              FunctionVersion: String(p.FunctionVersion),
              RoutingConfig: { AdditionalVersionWeights: {} },
            }),
          );
        }
        return { physicalId };
      }
      case 'AWS::CloudWatch::Alarm': {
        const name = existing?.physicalId ?? String(p.AlarmName ?? this.generatedName(s, id, 255));
        await this.o.cloudWatch.send(new PutMetricAlarmCommand({ ...(p as object), AlarmName: name } as never));
        return { physicalId: name, attributes: { Arn: arn('cloudwatch', `alarm:${name}`) } };
      }
      case 'AWS::CodeDeploy::Application': {
        if (existing) return existing;
        const name = String(p.ApplicationName ?? this.generatedName(s, id, 100));
        this.o.codeDeploy.createApplication(name);
        return { physicalId: name };
      }
      case 'AWS::CodeDeploy::DeploymentConfig': {
        if (existing) return existing;
        const name = String(p.DeploymentConfigName ?? this.generatedName(s, id, 100));
        const routing = p.TrafficRoutingConfig as Json;
        const canary = routing.TimeBasedCanary as Json | undefined;
        const linear = routing.TimeBasedLinear as Json | undefined;
        this.o.codeDeploy.createConfig(name, {
          type: routing.Type as Routing['type'],
          ...(canary && {
            timeBasedCanary: {
              canaryPercentage: Number(canary.CanaryPercentage),
              canaryInterval: Number(canary.CanaryInterval),
            },
          }),
          ...(linear && {
            timeBasedLinear: {
              linearPercentage: Number(linear.LinearPercentage),
              linearInterval: Number(linear.LinearInterval),
            },
          }),
        });
        return { physicalId: name };
      }
      case 'AWS::CodeDeploy::DeploymentGroup': {
        const name = existing?.physicalId ?? String(p.DeploymentGroupName ?? this.generatedName(s, id, 100));
        const alarms = (p.AlarmConfiguration ?? {}) as Json;
        const rollback = (p.AutoRollbackConfiguration ?? {}) as Json;
        this.o.codeDeploy.putGroup({
          applicationName: String(p.ApplicationName),
          deploymentGroupName: name,
          ...(p.DeploymentConfigName !== undefined && { deploymentConfigName: String(p.DeploymentConfigName) }),
          ...(p.ServiceRoleArn !== undefined && { serviceRoleArn: String(p.ServiceRoleArn) }),
          alarms: ((alarms.Alarms ?? []) as Json[]).map((a) => String(a.Name)),
          alarmsEnabled: alarms.Enabled === true,
          autoRollback: { enabled: rollback.Enabled === true, events: (rollback.Events ?? []) as string[] },
        });
        return { physicalId: name };
      }
      case 'AWS::Events::Rule': {
        const name = existing?.physicalId ?? String(p.Name ?? this.generatedName(s, id));
        const rule = await this.sources.events.send(
          new PutRuleCommand({
            Name: name,
            ...(p.ScheduleExpression !== undefined && { ScheduleExpression: String(p.ScheduleExpression) }),
            ...(p.EventPattern !== undefined && { EventPattern: JSON.stringify(p.EventPattern) }),
            ...(p.State !== undefined && { State: p.State as 'ENABLED' | 'DISABLED' }),
            ...(p.Description !== undefined && { Description: String(p.Description) }),
          }),
        );
        const targets = ((p.Targets ?? []) as Json[]).map((t) => ({
          Id: String(t.Id),
          Arn: String(t.Arn),
          ...(t.Input !== undefined && { Input: String(t.Input) }),
        }));
        const gone = ((existing?.properties.Targets ?? []) as Json[])
          .map((t) => String(t.Id))
          .filter((targetId) => !targets.some((t) => t.Id === targetId));
        if (gone.length > 0) await this.sources.events.send(new RemoveTargetsCommand({ Rule: name, Ids: gone }));
        if (targets.length > 0) await this.sources.events.send(new PutTargetsCommand({ Rule: name, Targets: targets }));
        return { physicalId: name, attributes: { Arn: rule.RuleArn ?? arn('events', `rule/${name}`) } };
      }
      case 'AWS::SNS::Topic': {
        const name = String(p.TopicName ?? this.generatedName(s, id, 256));
        const topicArn =
          existing?.physicalId ??
          String((await this.sources.sns.send(new CreateTopicCommand({ Name: name }))).TopicArn);
        // The topic's `Subscription` property: subscribed and unsubscribed as it changes.
        const key = (x: Json): string => `${String(x.Protocol)} ${String(x.Endpoint)}`;
        const wanted = ((p.Subscription ?? []) as Json[]).map(key);
        const before = ((existing?.properties.Subscription ?? []) as Json[]).map(key);
        for (const sub of wanted.filter((w) => !before.includes(w))) {
          const [protocol, endpoint] = sub.split(' ') as [string, string];
          await this.sources.sns.send(
            new SubscribeCommand({ TopicArn: topicArn, Protocol: protocol, Endpoint: endpoint }),
          );
        }
        const dropped = before.filter((b) => !wanted.includes(b));
        if (dropped.length > 0) {
          const listed = await this.sources.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
          for (const sub of listed.Subscriptions ?? [])
            if (dropped.includes(`${sub.Protocol} ${sub.Endpoint}`))
              await this.sources.sns.send(new UnsubscribeCommand({ SubscriptionArn: sub.SubscriptionArn }));
        }
        return { physicalId: topicArn, attributes: { TopicArn: topicArn, TopicName: name } };
      }
      case 'AWS::Lambda::EventSourceMapping': {
        const settings = {
          FunctionName: String(p.FunctionName),
          ...(p.BatchSize !== undefined && { BatchSize: Number(p.BatchSize) }),
          ...(p.Enabled !== undefined && { Enabled: p.Enabled === true || p.Enabled === 'true' }),
        };
        if (existing) {
          await this.o.lambda.send(new UpdateEventSourceMappingCommand({ UUID: existing.physicalId, ...settings }));
          return existing;
        }
        const made = await this.o.lambda.send(
          new CreateEventSourceMappingCommand({ EventSourceArn: String(p.EventSourceArn), ...settings }),
        );
        return { physicalId: String(made.UUID) };
      }
      case 'AWS::ApiGateway::RestApi': {
        if (existing) return existing;
        const types = ((p.EndpointConfiguration as Json | undefined)?.Types ?? []) as string[];
        const made = await this.sources.apiGateway.send(
          new CreateRestApiCommand({
            name: String(p.Name ?? this.generatedName(s, id)),
            ...(types.length > 0 && { endpointConfiguration: { types: types as never } }),
          }),
        );
        return { physicalId: String(made.id), attributes: { RootResourceId: String(made.rootResourceId) } };
      }
      case 'AWS::ApiGateway::Method': {
        const where = {
          restApiId: String(p.RestApiId),
          resourceId: String(p.ResourceId),
          httpMethod: String(p.HttpMethod),
        };
        if (!existing)
          await this.sources.apiGateway.send(
            new PutMethodCommand({
              ...where,
              authorizationType: String(p.AuthorizationType ?? 'NONE'),
              ...(p.ApiKeyRequired !== undefined && { apiKeyRequired: p.ApiKeyRequired === true }),
            }),
          );
        const integration = p.Integration as Json | undefined;
        if (integration)
          await this.sources.apiGateway.send(
            new PutIntegrationCommand({
              ...where,
              type: integration.Type as never,
              ...(integration.IntegrationHttpMethod !== undefined && {
                integrationHttpMethod: String(integration.IntegrationHttpMethod),
              }),
              ...(integration.Uri !== undefined && { uri: String(integration.Uri) }),
            }),
          );
        return existing ?? { physicalId: this.generatedName(s, id) };
      }
      case 'AWS::ApiGateway::Deployment': {
        if (existing) return existing;
        const made = await this.sources.apiGateway.send(
          new CreateDeploymentCommand({
            restApiId: String(p.RestApiId),
            ...(p.StageName !== undefined && { stageName: String(p.StageName) }),
            ...(p.Description !== undefined && { description: String(p.Description) }),
          }),
        );
        return { physicalId: String(made.id) };
      }
      default:
        throw new Error(`the local CloudFormation does not provision ${type}`);
    }
  }
}

class ResourceFailure extends Error {}

function tagsOf(p: URLSearchParams): { Key: string; Value: string }[] {
  const tags: { Key: string; Value: string }[] = [];
  for (let i = 1; p.has(`Tags.member.${i}.Key`); i++)
    tags.push({ Key: p.get(`Tags.member.${i}.Key`) as string, Value: p.get(`Tags.member.${i}.Value`) ?? '' });
  return tags;
}

/** Logical ids a value refers to (Ref, Fn::GetAtt, ${…} of Fn::Sub). */
function references(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) references(v, out);
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'Ref' && typeof v === 'string' && !PSEUDO.includes(v)) out.add(v);
      else if (key === 'Fn::GetAtt') out.add(Array.isArray(v) ? String(v[0]) : (String(v).split('.')[0] as string));
      else if (key === 'Fn::Sub') {
        const text = Array.isArray(v) ? String(v[0]) : String(v);
        for (const m of text.matchAll(/\$\{([^}!]+)\}/g)) {
          const name = (m[1] as string).split('.')[0] as string;
          if (!PSEUDO.includes(name) && !(Array.isArray(v) && v[1] && name in (v[1] as Json))) out.add(name);
        }
        if (Array.isArray(v)) references(v[1], out);
      } else references(v, out);
    }
  }
  return out;
}

/** Resources in an order where each comes after what it refers to and depends on. */
function order(resources: Record<string, Json>): string[] {
  const done: string[] = [];
  const visiting = new Set<string>();
  const visit = (id: string): void => {
    if (done.includes(id) || !(id in resources)) return;
    if (visiting.has(id)) throw new Error(`Circular dependency between resources: ${[...visiting, id].join(', ')}`);
    visiting.add(id);
    const r = resources[id] as Json;
    const deps = references([r.Properties, r.UpdatePolicy]);
    for (const d of [r.DependsOn ?? []].flat() as string[]) deps.add(d);
    for (const d of deps) visit(d);
    visiting.delete(id);
    done.push(id);
  };
  for (const id of Object.keys(resources)) visit(id);
  return done;
}

const NO_VALUE = Symbol('AWS::NoValue');

function resolve(value: unknown, s: Stack, o: CloudFormationOptions): unknown {
  const pseudo = (name: string): unknown => {
    switch (name) {
      case 'AWS::Region':
        return o.region;
      case 'AWS::AccountId':
        return o.account;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::StackName':
        return s.name;
      case 'AWS::StackId':
        return s.id;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::NoValue':
        return NO_VALUE;
    }
    const r = s.resources.get(name);
    if (!r) throw new Error(`Unresolved resource dependencies [${name}] in the Resources block of the template`);
    return r.physicalId;
  };
  const getAtt = (id: string, attribute: string): string => {
    const r = s.resources.get(id);
    const v = r?.attributes[attribute];
    if (v === undefined) throw new Error(`Template error: resource ${id} does not support attribute ${attribute}`);
    return v;
  };
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk).filter((x) => x !== NO_VALUE);
    if (!v || typeof v !== 'object') return v;
    const entries = Object.entries(v);
    if (entries.length === 1) {
      const [key, arg] = entries[0] as [string, unknown];
      if (key === 'Ref') return pseudo(String(arg));
      if (key === 'Fn::GetAtt') {
        const [id, attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
        return getAtt(String(id), String(attribute));
      }
      if (key === 'Fn::Join') {
        const [sep, items] = arg as [string, unknown[]];
        return (walk(items) as unknown[]).join(sep);
      }
      if (key === 'Fn::Select') {
        const [index, items] = arg as [unknown, unknown];
        return (walk(items) as unknown[])[Number(walk(index))];
      }
      if (key === 'Fn::Split') {
        const [sep, text] = arg as [string, unknown];
        return String(walk(text)).split(sep);
      }
      if (key === 'Fn::Sub') {
        const [text, vars] = Array.isArray(arg) ? (arg as [string, Json]) : [String(arg), {}];
        const values = walk(vars) as Json;
        return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
          if (name in values) return String(values[name]);
          const [id, attribute] = name.split('.');
          return String(attribute ? getAtt(id as string, attribute) : pseudo(id as string));
        });
      }
    }
    const out: Json = {};
    for (const [key, x] of entries) {
      const r = walk(x);
      if (r !== NO_VALUE) out[key] = r;
    }
    return out;
  };
  return walk(value);
}
