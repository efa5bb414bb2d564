/**
 * The heart of the plugin: (resolved settings, compiled template) → new template and the plan that describes it.
 * Pure: no framework, no I/O. The input template is never modified; on error nothing is returned.
 */
import { MAX_ALARMS_PER_GROUP } from '../config/health-checks';
import type { ResolvedSettings, ShiftedFunction } from '../config/resolve';
import { describeTimeline, predefinedConfigName, shortName, timeline } from '../config/strategy';
import { invalidSetting, ServerlessError } from '../errors';
import { naming } from '../naming';
import { getAtt, ref, type CfnResource, type CfnTemplate } from '../types/cloudformation';
import { absorbFrameworkAliases, aliasResource, findVersion, versionsByFunction } from './alias';
import { describeGeneratedAlarm, generatedAlarms } from './alarms';
import { customDeploymentConfig, deploymentConfigName } from './deployment-config';
import { application, deploymentGroup, rollbackEvents } from './deployment-group';
import { grantAliases } from './grants';
import { wireHooks, type HookedFunction } from './traffic-hooks';
import { refTarget } from './intrinsics';
import { retargetToAliases } from './retarget';
import { codeDeployPolicy, codeDeployRole } from './codedeploy-role';
import { eventSourcesThroughAlias, rewireEventSources } from './event-sources';
import { takeOverExistingSources } from './existing-sources';
import { eventSourceModule } from './events';
import { describeFinding, findBypasses } from './bypass-check';
import type { FunctionPlan, Plan } from '../plan/plan';

export interface TransformResult {
  template: CfnTemplate;
  plan: Plan;
}

export interface TransformOptions {
  /**
   * Another plugin splits the stack after the transform (serverless-plugin-split-stacks): the root stack's resource
   * count is its business, so the 500-resource check is left to it.
   */
  stackSplitAfter?: boolean;
}

export function applyTrafficShift(
  settings: ResolvedSettings,
  input: CfnTemplate,
  options: TransformOptions = {},
): TransformResult {
  const shifted = settings.functions.filter((f): f is ShiftedFunction => f.kind === 'shifted');
  const added: Record<string, CfnResource> = {};
  const add = (logicalId: string, resource: CfnResource): void => {
    if (logicalId in input.Resources || logicalId in added) {
      throw new ServerlessError(
        `serverless-traffic-shift adds a resource named ${logicalId}, but the template already has one. Rename yours in resources:.`,
        'TRAFFIC_SHIFT_LOGICAL_ID_COLLISION',
      );
    }
    added[logicalId] = resource;
  };

  // Framework aliases are removed from a working copy of the resource map; resources themselves are shared, not cloned.
  const resources: Record<string, CfnResource> = { ...input.Resources };
  const plans = new Map<string, FunctionPlan>();
  const hooked: HookedFunction[] = [];
  const aliasExtras = new Map<string, Record<string, unknown>>();
  const sharedResources: string[] = [];
  const versionsOf = versionsByFunction(input);
  const versionOf = new Map<string, string>();

  for (const fn of shifted) {
    if (!(fn.logicalId in resources)) {
      throw new ServerlessError(
        `Function "${fn.name}" has no ${fn.logicalId} in the compiled template.`,
        'TRAFFIC_SHIFT_MISSING_RESOURCE',
      );
    }
    const versionLogicalId = findVersion(versionsOf, fn);
    versionOf.set(fn.name, versionLogicalId);
    if (!fn.retainVersions) {
      const { DeletionPolicy: _retain, ...version } = resources[versionLogicalId] as CfnResource;
      resources[versionLogicalId] = version;
    }
    aliasExtras.set(fn.name, absorbFrameworkAliases(resources, fn));
    const plan: FunctionPlan = {
      name: fn.name,
      mode: fn.strategy.kind === 'inPlace' ? 'inPlace' : 'shifted',
      strategy: shortName(fn.strategy),
      alias: fn.alias,
      timeline:
        describeTimeline(fn.strategy) +
        (fn.strategy.kind !== 'inPlace' && fn.health.bakeMinutes !== undefined
          ? `, then ${fn.health.bakeMinutes}m bake watching the alarms`
          : ''),
      steps: timeline(fn.strategy),
      ...(fn.strategy.kind !== 'inPlace' &&
        fn.health.bakeMinutes !== undefined && { bakeMinutes: fn.health.bakeMinutes }),
      alarms: [],
      hooks: [],
      addedResources: [naming.alias(fn.normalizedName)],
      ...(fn.inPlaceReason !== undefined && { reason: fn.inPlaceReason }),
    };
    plans.set(fn.name, plan);
    if (fn.strategy.kind === 'inPlace') continue;

    const alarms = generatedAlarms({ fn, versionLogicalId });
    for (const alarm of alarms) {
      add(alarm.logicalId, alarm.resource);
      plan.addedResources.push(alarm.logicalId);
    }
    const alarmNames = [...alarms.map((a) => ref(a.logicalId)), ...userAlarmNames(fn, input)];
    if (alarmNames.length > MAX_ALARMS_PER_GROUP) {
      throw invalidSetting(
        fn.name,
        'alarms',
        fn.health.alarms.map((a) => (a.kind === 'name' ? a.name : a.logicalId)),
        `at most ${MAX_ALARMS_PER_GROUP} alarms per function, CodeDeploy's limit; it has ${alarmNames.length}: ` +
          `${alarms.map((a) => a.logicalId).join(', ')} (generated; turn some off in newVersionAlarms) and ${fn.health.alarms.length} from alarms ` +
          `(${fn.health.alarms.map((a) => (a.kind === 'name' ? a.name : a.logicalId)).join(', ')})`,
      );
    }
    if (fn.health.autoRollback.onAlarm === true && alarmNames.length === 0) {
      throw invalidSetting(
        fn.name,
        'autoRollback.onAlarm',
        true,
        'alarms to roll back on: add alarms or keep newVersionAlarms.errors on, or drop onAlarm',
      );
    }
    plan.alarms = [
      ...fn.health.newVersionAlarms.map(describeGeneratedAlarm),
      ...fn.health.alarms.map((a) => (a.kind === 'name' ? `${a.name} (existing)` : a.logicalId)),
    ];
    plan.rollback = rollbackEvents(fn.health.autoRollback, alarmNames.length > 0);
    hooked.push({ fn, versionLogicalId, groupLogicalId: naming.deploymentGroup(fn.normalizedName), alarmNames });
    plan.deploymentConfig = predefinedConfigName(fn.strategy) ?? `custom (${naming.deploymentConfig(fn.strategy)})`;
  }

  const hooks = wireHooks(resources, hooked);
  for (const [logicalId, resource] of Object.entries(hooks.replaced)) resources[logicalId] = resource;
  const ownRoleUsers = hooked.filter((h) => h.fn.codeDeployRole === undefined);
  const usesOwnRole = new Set(ownRoleUsers.map((h) => h.fn));
  const roleGrants = codeDeployPolicy({
    invokes: unique(ownRoleUsers.flatMap((h) => hooks.invokedByCodeDeploy.get(h.fn.name) ?? [])),
    publishes: unique(ownRoleUsers.flatMap((h) => h.fn.health.triggers.map((t) => t.targetArn))),
  });

  for (const fn of shifted) {
    const wiring = hooks.aliases.get(fn.name);
    const versionLogicalId = versionOf.get(fn.name) as string;
    const alias = aliasResource(fn, versionLogicalId, aliasExtras.get(fn.name) ?? {}, wiring?.hooks ?? {});
    // CodeDeploy starts as soon as the alias changes: every permission the rollout needs must exist by then.
    const dependsOn = [
      ...(wiring?.dependsOn ?? []),
      ...(roleGrants && usesOwnRole.has(fn) ? [naming.codeDeployPolicy()] : []),
    ];
    if (dependsOn.length > 0) alias.DependsOn = [...new Set(dependsOn)];
    add(naming.alias(fn.normalizedName), alias);
    const plan = plans.get(fn.name) as FunctionPlan;
    plan.hooks = wiring?.described ?? [];
  }

  for (const h of hooked) {
    const { fn } = h;
    add(
      h.groupLogicalId,
      deploymentGroup({
        deploymentConfigName: deploymentConfigName(fn.strategy as Exclude<typeof fn.strategy, { kind: 'inPlace' }>),
        serviceRoleArn: fn.codeDeployRole ?? getAtt(naming.codeDeployRole(), 'Arn'),
        alarmNames: h.alarmNames,
        autoRollback: fn.health.autoRollback,
        triggers: fn.health.triggers,
      }),
    );
    (plans.get(fn.name) as FunctionPlan).addedResources.push(h.groupLogicalId);
    if (
      fn.codeDeployRole !== undefined &&
      ((hooks.invokedByCodeDeploy.get(fn.name)?.length ?? 0) > 0 || fn.health.triggers.length > 0)
    ) {
      hooks.warnings.push(
        `${fn.name}: its codeDeployRole is yours, so the plugin does not change it; it must allow lambda:InvokeFunction on the hooks` +
          `${fn.health.triggers.length > 0 ? ' and sns:Publish on the trigger topics' : ''}.`,
      );
    }
  }

  const addShared = (logicalId: string, resource: CfnResource): void => {
    add(logicalId, resource);
    sharedResources.push(logicalId);
  };
  if (hooked.length > 0) addShared(naming.application(), application());
  if (ownRoleUsers.length > 0) {
    addShared(naming.codeDeployRole(), codeDeployRole(settings.permissionsBoundary));
    if (roleGrants) addShared(naming.codeDeployPolicy(), roleGrants);
  }
  const configs = new Map(
    hooked.flatMap(({ fn }) => {
      const custom = fn.strategy.kind === 'inPlace' ? undefined : customDeploymentConfig(fn.strategy);
      return custom ? [[custom.logicalId, custom.resource] as const] : [];
    }),
  );
  for (const logicalId of [...configs.keys()].sort()) addShared(logicalId, configs.get(logicalId) as CfnResource);
  for (const [logicalId, resource] of Object.entries(hooks.added)) addShared(logicalId, resource);

  const existing = takeOverExistingSources(resources, shifted);
  for (const logicalId of existing.removed) delete resources[logicalId];
  for (const [name, replacements] of existing.replacements) {
    for (const [logicalId, resource] of Object.entries(replacements)) {
      add(logicalId, resource);
      (plans.get(name) as FunctionPlan).addedResources.push(logicalId);
    }
  }
  for (const [logicalId, resource] of Object.entries(existing.shared)) addShared(logicalId, resource);

  // `resources` is this call's own copy: the added resources join it in place. Spreading both into a new object cost
  // more than all the rewiring of a 150-function stack (V8 builds a large object key by key).
  const template = grantAliases(
    rewireEventSources(retargetToAliases({ ...input, Resources: Object.assign(resources, added) }, shifted), shifted),
    shifted,
  );
  for (const [name, bypasses] of checkNoBypass(template, shifted))
    (plans.get(name) as FunctionPlan).bypasses = bypasses;
  for (const [name, events] of eventSourcesThroughAlias(template, shifted))
    (plans.get(name) as FunctionPlan).events = events;
  if (!options.stackSplitAfter) checkResourceBudget(input, template, hooks.warnings);
  for (const fn of settings.functions) {
    if (fn.kind === 'untouched' && fn.cannotShift) hooks.warnings.push(`${fn.name} is not shifted: ${fn.reason}.`);
  }
  checkNoAlarmCycle(template, hooked);
  const functions = settings.functions.map(
    (fn): FunctionPlan =>
      plans.get(fn.name) ?? {
        name: fn.name,
        mode: 'untouched',
        reason: fn.kind === 'untouched' ? fn.reason : undefined,
        alarms: [],
        hooks: [],
        addedResources: [],
      },
  );
  return { template, plan: { stage: settings.stage, functions, sharedResources, warnings: hooks.warnings } };
}

/** How the plan names a resource that invokes a function: its event source's words, else its logical id and type. */
function describeSource(template: CfnTemplate, logicalId: string): string {
  const resource = template.Resources[logicalId] as CfnResource;
  const module = eventSourceModule(resource.Type);
  return module
    ? `${module.describe(logicalId, resource, template)} [${logicalId}]`
    : `${logicalId} (${resource.Type})`;
}

/** CloudFormation's limit on resources in one stack. */
export const MAX_STACK_RESOURCES = 500;
const WARN_STACK_RESOURCES = 450;

function checkResourceBudget(input: CfnTemplate, output: CfnTemplate, warnings: string[]): void {
  const before = Object.keys(input.Resources).length;
  const after = Object.keys(output.Resources).length;
  const advice =
    'Options: turn off optional newVersionAlarms, set enabled: false on functions that need no gradual rollout, ' +
    'split the stack with serverless-plugin-split-stacks (listed after serverless-traffic-shift), or split the service.';
  if (after > MAX_STACK_RESOURCES) {
    throw new ServerlessError(
      `The stack would have ${after} resources, over CloudFormation's limit of ${MAX_STACK_RESOURCES}: the service has ${before} ` +
        `and serverless-traffic-shift adds ${after - before}. ${advice}`,
      'TRAFFIC_SHIFT_RESOURCE_LIMIT',
    );
  }
  if (after > WARN_STACK_RESOURCES) {
    warnings.push(
      `the stack has ${after} resources (${after - before} added by serverless-traffic-shift), close to CloudFormation's limit of ${MAX_STACK_RESOURCES}. ${advice}`,
    );
  }
}

function unique(values: unknown[]): unknown[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const key = JSON.stringify(v);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `alarms:` entries: logical ids must name an AWS::CloudWatch::Alarm of the template; names of existing alarms pass as they are. */
function userAlarmNames(fn: ShiftedFunction, template: CfnTemplate): unknown[] {
  return fn.health.alarms.map((alarm) => {
    if (alarm.kind === 'name') return alarm.name;
    const type = template.Resources[alarm.logicalId]?.Type;
    if (type !== 'AWS::CloudWatch::Alarm' && type !== 'AWS::CloudWatch::CompositeAlarm') {
      throw invalidSetting(
        fn.name,
        'alarms',
        alarm.logicalId,
        type === undefined
          ? 'logical ids of AWS::CloudWatch::Alarm resources in the compiled template (no resource has this id; for an alarm outside the stack write { name: <alarm name> })'
          : `logical ids of AWS::CloudWatch::Alarm resources; ${alarm.logicalId} is an ${type}`,
      );
    }
    return ref(alarm.logicalId);
  });
}

/**
 * An alarm that refers to the alias the deployment group watches closes a cycle: alias → group → alarm → alias
 * (CloudFormation rejects it). Users meet it when they build the alarm's Resource dimension with `Ref` of the alias.
 */
function checkNoAlarmCycle(template: CfnTemplate, hooked: readonly HookedFunction[]): void {
  for (const { fn, alarmNames } of hooked) {
    const aliasId = naming.alias(fn.normalizedName);
    for (const name of alarmNames) {
      const alarmId = refTarget(name);
      if (alarmId === undefined) continue;
      if (JSON.stringify(template.Resources[alarmId]).includes(`{"Ref":"${aliasId}"}`)) {
        throw new ServerlessError(
          `Alarm ${alarmId} in functions.${fn.name}.deploymentSettings.alarms refers to ${aliasId}, the alias whose deployment group watches it: ` +
            'CloudFormation would reject the dependency cycle. Build the Resource dimension from the function name instead: ' +
            `Fn::Join [":", [Ref: ${fn.logicalId}, ${fn.alias}]].`,
          'TRAFFIC_SHIFT_INVALID_SETTING',
        );
      }
    }
  }
}

/**
 * Fails the build when anything still invokes a shifted function without its alias; returns, per function name, the
 * resources its allowBypass lets through, described for the plan.
 */
function checkNoBypass(template: CfnTemplate, shifted: readonly ShiftedFunction[]): Map<string, string[]> {
  for (const fn of shifted) {
    const stale = fn.allowBypass.filter((id) => !Object.prototype.hasOwnProperty.call(template.Resources, id));
    if (stale.length > 0) {
      throw new ServerlessError(
        `functions.${fn.name}.deploymentSettings.allowBypass names ${stale.join(', ')}, which the template does not contain; ` +
          'list logical ids of resources in the compiled template, or remove the entry.',
        'TRAFFIC_SHIFT_INVALID_SETTING',
      );
    }
  }
  const allowedBy = new Map(shifted.map((fn) => [fn.name, new Set(fn.allowBypass)]));
  const all = findBypasses(template, shifted);
  const findings = all.filter((f) => !allowedBy.get(f.functionName)?.has(f.resource));
  if (findings.length === 0) {
    const allowed = new Map<string, string[]>();
    for (const f of all) {
      const described = describeSource(template, f.resource);
      const list = allowed.get(f.functionName) ?? [];
      if (!list.includes(described)) allowed.set(f.functionName, [...list, described]);
    }
    return allowed;
  }
  const lines = findings.map((f) => `  - ${describeFinding(f)}`);
  throw new ServerlessError(
    [
      `Traffic would bypass the alias of ${[...new Set(findings.map((f) => `"${f.functionName}"`))].join(', ')}: these invoke the function itself, ` +
        'so they would reach new code at once, unseen by the rollout:',
      ...lines,
      'Fix: point them at the alias instead (Ref: <Function>TrafficShiftAlias, or the function ARN followed by ":<alias>"), ' +
        'or, for a deliberate exception, list the resource in deploymentSettings.allowBypass of that function.',
    ].join('\n'),
    'TRAFFIC_SHIFT_BYPASS',
  );
}
