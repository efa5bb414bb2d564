/**
 * What serverless.yml tells about a function's callers before anything is compiled: callers that cannot go through
 * an alias (Lambda@Edge, the framework's EventBridge custom resource, a permission in `resources:` for a caller
 * configured outside the stack, such as an SES receipt rule), and how often its events run it (a canary needs
 * invocations to judge). Pure: it reads the function's events and the user's resources, as the framework holds them.
 */
import type { TrafficFacts } from './resolve';

export interface FunctionFacts {
  /** `functions.<name>.events`. */
  events?: unknown[];
  /** The framework's logical id of the function (`ApiLambdaFunction`). */
  logicalId: string;
  /** The deployed function name (`svc-dev-api`), when the framework set it. */
  deployedName?: string;
}

/** A hand-written permission that lets a caller outside the stack invoke the function itself. */
export interface OutsidePermission {
  logicalId: string;
  principal: string;
}

/** Why an event of the function cannot reach it through an alias, from its events in serverless.yml. */
export function eventThatCannotShift(
  events: readonly unknown[] | undefined,
  eventBridgeThroughCustomResource: boolean,
): string | undefined {
  const kinds = new Set((events ?? []).flatMap((event) => (isObject(event) ? Object.keys(event) : [])));
  if (kinds.has('cloudFront'))
    return 'Lambda@Edge (cloudFront event): CloudFront invokes a published version, never an alias';
  if (kinds.has('eventBridge') && eventBridgeThroughCustomResource) {
    return "its eventBridge events go through the framework's custom resource (useCloudFormation: false), which targets the function itself";
  }
  return undefined;
}

/**
 * `AWS::Lambda::Permission` resources of `resources:` that grant invoking the function itself (by `Ref`, `Fn::GetAtt`
 * or its deployed name) to a caller the template does not hold: no `SourceArn`, or one that refers to no resource of
 * the template. The plugin cannot point such a caller at the alias; the user configures it.
 */
export function permissionsForOutsideCallers(
  fn: FunctionFacts,
  resources: Record<string, unknown> | undefined,
): OutsidePermission[] {
  return Object.entries(resources ?? {}).flatMap(([logicalId, value]): OutsidePermission[] => {
    if (!isObject(value) || value.Type !== 'AWS::Lambda::Permission') return [];
    const properties = isObject(value.Properties) ? value.Properties : {};
    if (!namesFunctionItself(properties.FunctionName, fn) || refersToResource(properties.SourceArn)) return [];
    const principal = properties.Principal;
    return [{ logicalId, principal: typeof principal === 'string' ? principal : JSON.stringify(principal) }];
  });
}

function namesFunctionItself(value: unknown, fn: FunctionFacts): boolean {
  if (typeof value === 'string') return value === fn.deployedName || value === fn.logicalId;
  if (!isObject(value)) return false;
  if (value.Ref === fn.logicalId) return true;
  const getAtt = value['Fn::GetAtt'];
  return (
    (Array.isArray(getAtt) && getAtt[0] === fn.logicalId && getAtt[1] === 'Arn') || getAtt === `${fn.logicalId}.Arn`
  );
}

/** A `Ref`/`Fn::GetAtt` of a resource (not a pseudo parameter), directly or inside another function. */
function refersToResource(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(refersToResource);
  if (!isObject(value)) return false;
  if (typeof value.Ref === 'string') return !value.Ref.startsWith('AWS::');
  if (value['Fn::GetAtt'] !== undefined) return true;
  if (typeof value['Fn::Sub'] === 'string') return /\$\{(?!AWS::)[A-Za-z0-9]+(\.[A-Za-z]+)?\}/.test(value['Fn::Sub']);
  return Object.values(value).some(refersToResource);
}

/**
 * How often the function's events run it: `none` without any event, `schedules` when schedules are all it has (with
 * the shortest time between two runs), undefined when another event invokes it or a schedule cannot be read.
 */
export function trafficFacts(events: readonly unknown[] | undefined): TrafficFacts | undefined {
  const list = events ?? [];
  let fastest: { everyMinutes: number; expression: string } | undefined;
  for (const event of list) {
    if (!isObject(event)) return undefined;
    const keys = Object.keys(event);
    if (keys.length !== 1 || keys[0] !== 'schedule') return undefined;
    const schedule = event.schedule;
    const config = isObject(schedule) ? schedule : { rate: schedule };
    if (config.enabled === false) continue;
    for (const expression of [config.rate].flat()) {
      const minutes = typeof expression === 'string' ? scheduleMinutes(expression.trim()) : undefined;
      if (minutes === undefined) return undefined;
      if (!fastest || minutes < fastest.everyMinutes)
        fastest = { everyMinutes: minutes, expression: expression as string };
    }
  }
  return fastest ? { kind: 'schedules', ...fastest } : { kind: 'none' };
}

/** The shortest time between two runs of `rate(…)` or `cron(…)`, in minutes; undefined when it cannot be read. */
export function scheduleMinutes(expression: string): number | undefined {
  const rate = /^rate\((\d+)\s+(minutes?|hours?|days?)\)$/.exec(expression);
  if (rate) {
    const unit = rate[2] as string;
    return Number(rate[1]) * (unit.startsWith('minute') ? 1 : unit.startsWith('hour') ? 60 : 1440);
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (!cron) return undefined;
  const [minuteField, hourField] = (cron[1] as string).trim().split(/\s+/);
  const minutes = cronField(minuteField, 59);
  const hours = cronField(hourField, 23);
  if (!minutes || !hours) return undefined;
  // Times of day it runs; days the other fields skip only lengthen the gaps, so this is the shortest possible one.
  const times = hours.flatMap((h) => minutes.map((m) => h * 60 + m)).sort((a, b) => a - b);
  const gaps = times.map((t, i) =>
    i === 0 ? 1440 - (times[times.length - 1] as number) + t : t - (times[i - 1] as number),
  );
  return Math.min(...gaps);
}

/** The values of one cron field (`*`, `5`, `1-5`, `0/15`, `*\/10`, `1,2,3`), or undefined. */
function cronField(field: string | undefined, max: number): number[] | undefined {
  if (field === undefined) return undefined;
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const match = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(part);
    if (!match) return undefined;
    const start = match[1] === '*' ? 0 : Number(match[1]);
    const end = match[2] !== undefined ? Number(match[2]) : match[1] === '*' || match[3] !== undefined ? max : start;
    const step = match[3] !== undefined ? Number(match[3]) : 1;
    if (step < 1 || start > max || end > max) return undefined;
    for (let v = start; v <= end; v += step) values.add(v);
  }
  return values.size > 0 ? [...values] : undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
