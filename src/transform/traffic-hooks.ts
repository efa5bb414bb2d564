/**
 * Pre- and post-traffic hooks: what CodeDeploy calls, and exactly the permissions each party needs.
 * - CodeDeploy's role may invoke the hooks (the AWS managed policy only allows functions named CodeDeployHook_*).
 * - A hook of this service may report to, and read, its own deployment groups, and invoke the new versions it
 *   checks; it gets the new version's ARN in TRAFFIC_SHIFT_NEW_VERSION_ARN. If it ran with a role that other
 *   functions share, it gets a copy of that role, so the others gain nothing.
 * - The plugin's own hooks (smoke tests, bake) share one role with the same scoping.
 */
import type { HookTarget } from '../config/health-checks';
import type { ShiftedFunction } from '../config/resolve';
import { trafficHookCode } from '../lambda/inline-code';
import { naming } from '../naming';
import { getAtt, ref, type CfnResource } from '../types/cloudformation';
import { inlineFunction, inlineFunctionRole } from './inline-function';
import { getAttTarget, isObject, refTarget } from './intrinsics';

export const NEW_VERSION_ENV = 'TRAFFIC_SHIFT_NEW_VERSION_ARN';

/** A function whose alias CodeDeploy shifts, with the resources the hooks refer to. */
export interface HookedFunction {
  fn: ShiftedFunction;
  versionLogicalId: string;
  groupLogicalId: string;
  /** Names of the alarms the group watches: Refs of alarms in the template or literal names. */
  alarmNames: unknown[];
}

export interface HookWiring {
  /** Resources to add. */
  added: Record<string, CfnResource>;
  /** Hook functions of the service, with their new environment or role. */
  replaced: Record<string, CfnResource>;
  /** Per function: the UpdatePolicy hook entries and what the alias must wait for. */
  aliases: Map<string, { hooks: Record<string, unknown>; dependsOn: string[]; described: string[] }>;
  /** What CodeDeploy's role must be allowed to invoke, per function. */
  invokedByCodeDeploy: Map<string, unknown[]>;
  warnings: string[];
}

export function wireHooks(resources: Record<string, CfnResource>, functions: readonly HookedFunction[]): HookWiring {
  const wiring: HookWiring = {
    added: {},
    replaced: {},
    aliases: new Map(),
    invokedByCodeDeploy: new Map(),
    warnings: [],
  };
  const serviceHooks = new Map<
    string,
    { hook: Extract<HookTarget, { kind: 'function' }>; targets: HookedFunction[] }
  >();
  const smoke: HookedFunction[] = [];
  const bake: HookedFunction[] = [];

  for (const target of functions) {
    const { fn } = target;
    const alias = { hooks: {} as Record<string, unknown>, dependsOn: [] as string[], described: [] as string[] };
    const invoked: unknown[] = [];
    const use = (
      phase: 'BeforeAllowTrafficHook' | 'AfterAllowTrafficHook',
      hook: HookTarget | 'smoke' | 'bake',
    ): void => {
      const label = phase === 'BeforeAllowTrafficHook' ? 'pre-traffic' : 'post-traffic';
      if (hook === 'smoke' || hook === 'bake') {
        const logicalId = hook === 'smoke' ? naming.smokeTestHook() : naming.bakeHook();
        alias.hooks[phase] = ref(logicalId);
        invoked.push(getAtt(logicalId, 'Arn'));
        alias.described.push(
          hook === 'smoke'
            ? `${label}: ${fn.health.smokeTests.length} smoke test(s) by ${logicalId}`
            : `${label}: bake ${fn.health.bakeMinutes}m watching the alarms, by ${logicalId}`,
        );
        (hook === 'smoke' ? smoke : bake).push(target);
      } else if (hook.kind === 'function') {
        alias.hooks[phase] = ref(hook.logicalId);
        invoked.push(getAtt(hook.logicalId, 'Arn'));
        alias.described.push(`${label}: function ${hook.name}`);
        const entry = serviceHooks.get(hook.name) ?? { hook, targets: [] };
        if (!entry.targets.includes(target)) entry.targets.push(target);
        serviceHooks.set(hook.name, entry);
        alias.dependsOn.push(naming.hookPolicy(hook.normalizedName));
      } else {
        // CodeDeploy calls hooks by function name, in the deployment's account and region.
        alias.hooks[phase] = hook.functionName;
        invoked.push(hook.arn);
        alias.described.push(`${label}: ${hook.arn}`);
        wiring.warnings.push(
          `${fn.name}: the ${label} hook ${hook.arn} is not part of this service, so the plugin cannot grant it ` +
            `codedeploy:PutLifecycleEventHookExecutionStatus on the deployment group of ${fn.name}; make sure its role allows it.`,
        );
      }
    };
    const { preTrafficHook, postTrafficHook, smokeTests, bakeMinutes } = fn.health;
    if (preTrafficHook) use('BeforeAllowTrafficHook', preTrafficHook);
    else if (smokeTests.length > 0) use('BeforeAllowTrafficHook', 'smoke');
    if (postTrafficHook) use('AfterAllowTrafficHook', postTrafficHook);
    else if (bakeMinutes !== undefined) use('AfterAllowTrafficHook', 'bake');
    wiring.aliases.set(fn.name, alias);
    wiring.invokedByCodeDeploy.set(fn.name, invoked);
  }

  for (const { hook, targets } of serviceHooks.values()) grantServiceHook(resources, hook, targets, wiring);
  if (smoke.length > 0 || bake.length > 0) addGeneratedHooks(resources, smoke, bake, wiring);
  return wiring;
}

function deploymentGroupArn(target: HookedFunction): unknown {
  return {
    'Fn::Sub': `arn:\${AWS::Partition}:codedeploy:\${AWS::Region}:\${AWS::AccountId}:deploymentgroup:\${${naming.application()}}/\${${target.groupLogicalId}}`,
  };
}

function reportingStatements(targets: readonly HookedFunction[], invokeVersions: boolean): unknown[] {
  return [
    {
      Effect: 'Allow',
      Action: ['codedeploy:PutLifecycleEventHookExecutionStatus', 'codedeploy:GetDeployment'],
      Resource: targets.map(deploymentGroupArn),
    },
    ...(invokeVersions
      ? [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: targets.map((t) => ref(t.versionLogicalId)) }]
      : []),
  ];
}

function grantServiceHook(
  resources: Record<string, CfnResource>,
  hook: Extract<HookTarget, { kind: 'function' }>,
  targets: HookedFunction[],
  wiring: HookWiring,
): void {
  const hookResource = resources[hook.logicalId];
  if (!hookResource) return;
  let properties = { ...hookResource.Properties };
  const roleValue = properties.Role;
  const roleId = getAttTarget(roleValue, 'Arn');
  let roles: unknown[] | undefined;
  if (roleId !== undefined && resources[roleId]?.Type === 'AWS::IAM::Role') {
    const sharedWith = Object.entries(resources).filter(
      ([id, r]) =>
        id !== hook.logicalId &&
        r.Type === 'AWS::Lambda::Function' &&
        getAttTarget(r.Properties?.Role, 'Arn') === roleId,
    );
    if (sharedWith.length > 0) {
      const { RoleName: _name, ...copied } = (resources[roleId] as CfnResource).Properties ?? {};
      const ownRole = naming.hookRole(hook.normalizedName);
      wiring.added[ownRole] = { Type: 'AWS::IAM::Role', Properties: copied };
      properties.Role = getAtt(ownRole, 'Arn');
      roles = [ref(ownRole)];
    } else {
      roles = [ref(roleId)];
    }
  } else if (typeof roleValue === 'string' && /^arn:aws[a-z-]*:iam::\d{12}:role\//.test(roleValue)) {
    roles = [roleValue.slice(roleValue.lastIndexOf('/') + 1)];
  } else {
    wiring.warnings.push(
      `hook ${hook.name}: its role is not in this template, so the plugin cannot grant it codedeploy:PutLifecycleEventHookExecutionStatus ` +
        `on the deployment groups of ${targets.map((t) => t.fn.name).join(', ')}; make sure its role allows it.`,
    );
  }
  if (roles) {
    wiring.added[naming.hookPolicy(hook.normalizedName)] = {
      Type: 'AWS::IAM::Policy',
      Properties: {
        PolicyName: `${hook.normalizedName}-traffic-shift-hook`,
        Roles: roles,
        PolicyDocument: { Version: '2012-10-17', Statement: reportingStatements(targets, true) },
      },
    };
  } else {
    for (const target of targets) {
      const alias = wiring.aliases.get(target.fn.name);
      if (alias) alias.dependsOn = alias.dependsOn.filter((id) => id !== naming.hookPolicy(hook.normalizedName));
    }
  }
  if (targets.length === 1) {
    const environment = isObject(properties.Environment) ? properties.Environment : {};
    const variables = isObject(environment.Variables) ? environment.Variables : {};
    properties = {
      ...properties,
      Environment: {
        ...environment,
        Variables: { ...variables, [NEW_VERSION_ENV]: ref((targets[0] as HookedFunction).versionLogicalId) },
      },
    };
  } else {
    wiring.warnings.push(
      `hook ${hook.name} checks ${targets.map((t) => t.fn.name).join(', ')}: with more than one function it gets no ${NEW_VERSION_ENV}; ` +
        'it can read the target version from codedeploy:GetDeployment (allowed), or give each function its own hook.',
    );
  }
  wiring.replaced[hook.logicalId] = { ...hookResource, Properties: properties };
}

function addGeneratedHooks(
  resources: Record<string, CfnResource>,
  smoke: HookedFunction[],
  bake: HookedFunction[],
  wiring: HookWiring,
): void {
  const roleId = naming.generatedHookRole();
  const users = [...new Set([...smoke, ...bake])];
  wiring.added[roleId] = inlineFunctionRole('traffic-shift-hooks', [
    ...reportingStatements(users, false),
    ...(smoke.length > 0
      ? [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: smoke.map((t) => ref(t.versionLogicalId)) }]
      : []),
    // DescribeAlarms has no resource-level permissions.
    ...(bake.length > 0 ? [{ Effect: 'Allow', Action: 'cloudwatch:DescribeAlarms', Resource: '*' }] : []),
  ]);
  // The configuration goes into the inline code, after the handler, as one JS string the handler parses when invoked:
  // the function's environment (4 KB in all) would hold the settings of about a dozen functions only.
  const hookFunction = (phase: 'smoke' | 'bake', config: JsonWithRefs, description: string): CfnResource =>
    inlineFunction({
      description,
      roleId,
      timeout: 900,
      code: config.asJsString(`${trafficHookCode()}\nexports.config = `, ';\n'),
      environment: { TRAFFIC_SHIFT_PHASE: phase },
    });
  if (smoke.length > 0) {
    // { "<group name>": { function, target: "<version ARN>", tests } }
    const config = new JsonWithRefs().text('{');
    smoke.forEach((t, i) => {
      config
        .text(i === 0 ? '"' : ',"')
        .ref(t.groupLogicalId)
        .text('":{"function":')
        .json(t.fn.name)
        .text(',"target":"')
        .ref(t.versionLogicalId);
      config.text('","tests":').json(t.fn.health.smokeTests).text('}');
    });
    config.text('}');
    wiring.added[naming.smokeTestHook()] = hookFunction(
      'smoke',
      config,
      'serverless-traffic-shift: smoke tests the new version before traffic moves',
    );
  }
  if (bake.length > 0) {
    // { "<group name>": { function, bakeMinutes, alarms: ["<alarm name>", ...] } }
    const config = new JsonWithRefs().text('{');
    bake.forEach((t, i) => {
      config
        .text(i === 0 ? '"' : ',"')
        .ref(t.groupLogicalId)
        .text('":{"function":')
        .json(t.fn.name)
        .text(',"bakeMinutes":')
        .json(t.fn.health.bakeMinutes)
        .text(',"alarms":[');
      t.alarmNames.forEach((name, j) => {
        const alarmId = refTarget(name);
        // A name written in the template goes in as JSON text, escaped (it may hold a quote or a backslash); a Ref
        // resolves at deploy time into the string unescaped: CloudFormation's generated names are safe there.
        const written = alarmId === undefined ? undefined : resources[alarmId]?.Properties?.AlarmName;
        if (j > 0) config.text(',');
        if (alarmId === undefined) config.json(name);
        else if (typeof written === 'string') config.json(written);
        else config.text('"').ref(alarmId).text('"');
      });
      config.text(']}');
    });
    config.text('}');
    const bakeId = naming.bakeHook();
    wiring.added[bakeId] = hookFunction(
      'bake',
      config,
      'serverless-traffic-shift: watches the alarms for the bake time after traffic moved',
    );
    // A bake longer than one invocation hands over to a fresh invocation of the same hook.
    wiring.added[naming.bakeHookSelfInvokePolicy()] = {
      Type: 'AWS::IAM::Policy',
      Properties: {
        PolicyName: 'traffic-shift-bake-relay',
        Roles: [ref(roleId)],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: getAtt(bakeId, 'Arn') }],
        },
      },
    };
    for (const t of bake) wiring.aliases.get(t.fn.name)?.dependsOn.push(naming.bakeHookSelfInvokePolicy());
  }
}

/**
 * JSON text with Refs in it, resolved by CloudFormation at deploy time. Values from the settings go in whole through
 * JSON.stringify and Refs only where the caller puts them, so no text in a payload can become a Ref.
 */
class JsonWithRefs {
  private readonly parts: (string | { Ref: string })[] = [];

  text(text: string): this {
    const last = this.parts.length - 1;
    if (typeof this.parts[last] === 'string') this.parts[last] += text;
    else this.parts.push(text);
    return this;
  }

  json(value: unknown): this {
    return this.text(JSON.stringify(value) ?? 'null');
  }

  /** A Ref whose value (an ARN, a generated name) holds no character that needs escaping in JSON or JS. */
  ref(logicalId: string): this {
    this.parts.push(ref(logicalId));
    return this;
  }

  /**
   * `before + "<the JSON text as a JS string literal>" + after`, as an Fn::Join. The static text is escaped for a
   * double-quoted JS string; the Refs go in as they are.
   */
  asJsString(before: string, after: string): unknown {
    const joined: unknown[] = [];
    const push = (part: unknown): void => {
      const last = joined.length - 1;
      if (typeof part === 'string' && typeof joined[last] === 'string') joined[last] += part;
      else joined.push(part);
    };
    push(`${before}"`);
    for (const part of this.parts) push(typeof part === 'string' ? JSON.stringify(part).slice(1, -1) : part);
    push(`"${after}`);
    return { 'Fn::Join': ['', joined] };
  }
}
