/**
 * A CloudWatch metric math evaluator for exactly the subset the plugin emits — numbers, query ids, `+ - * /`, `>=`,
 * `AND`, parentheses and `IF(condition, value, value)` — with the rules of the CloudWatch User Guide ("Metric math
 * syntax and functions", "Using IF expressions"):
 * - arithmetic: a value missing from one time series counts as 0; a data point that would divide by zero is dropped;
 * - comparisons and logical operators: 1 or 0 per data point; between two time series, a value missing from one
 *   counts as 0; between a time series and a number, only the series' data points exist;
 * - IF with a time series condition: the second argument where the condition is not 0 (0 where that series has no
 *   data point), the third where it is 0 (dropped where that series has no data point), nothing where the condition
 *   has no data point.
 * Anything else (another function, operator or syntax) is an error, so an expression outside the subset cannot pass
 * a test unnoticed. Also: a metric alarm's evaluation over such a series.
 */

/** A time series: timestamp (any number, e.g. the minute) → value; a missing timestamp is a missing data point. */
export type Series = Map<number, number>;
type Value = number | Series;

const isSeries = (v: Value): v is Series => v instanceof Map;

type Token = { kind: 'number'; value: number } | { kind: 'id'; name: string } | { kind: 'op'; op: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(\d+(?:\.\d+)?)|([A-Za-z][A-Za-z0-9_]*)|(>=|[-+*/(),]))/y;
  let at = 0;
  while (at < expression.length) {
    if (/^\s*$/.test(expression.slice(at))) break;
    pattern.lastIndex = at;
    const m = pattern.exec(expression);
    if (!m) throw new Error(`metric math subset: cannot read "${expression.slice(at)}" in ${expression}`);
    at = pattern.lastIndex;
    if (m[1] !== undefined) tokens.push({ kind: 'number', value: Number(m[1]) });
    else if (m[2] !== undefined) tokens.push(m[2] === 'AND' ? { kind: 'op', op: 'AND' } : { kind: 'id', name: m[2] });
    else tokens.push({ kind: 'op', op: m[3] as string });
  }
  return tokens;
}

/** Evaluates `expression` over the named values (time series or numbers). */
export function evaluate(expression: string, values: ReadonlyMap<string, Value>): Value {
  const tokens = tokenize(expression);
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const isOp = (op: string): boolean => {
    const t = peek();
    return t?.kind === 'op' && t.op === op;
  };
  const expect = (op: string): void => {
    if (!isOp(op)) throw new Error(`metric math subset: expected "${op}" in ${expression}`);
    i += 1;
  };

  const conjunction = (): Value => {
    let left = comparison();
    while (isOp('AND')) {
      i += 1;
      left = logical(left, comparison(), (a, b) => (a !== 0 && b !== 0 ? 1 : 0));
    }
    return left;
  };
  const comparison = (): Value => {
    const left = sum();
    if (!isOp('>=')) return left;
    i += 1;
    return logical(left, sum(), (a, b) => (a >= b ? 1 : 0));
  };
  const sum = (): Value => {
    let left = product();
    while (isOp('+') || isOp('-')) {
      const op = (tokens[i++] as { op: string }).op;
      left = arithmetic(left, product(), op === '+' ? (a, b) => a + b : (a, b) => a - b);
    }
    return left;
  };
  const product = (): Value => {
    let left = primary();
    while (isOp('*') || isOp('/')) {
      const op = (tokens[i++] as { op: string }).op;
      left = arithmetic(left, primary(), op === '*' ? (a, b) => a * b : (a, b) => (b === 0 ? undefined : a / b));
    }
    return left;
  };
  const primary = (): Value => {
    const t = tokens[i++];
    if (!t) throw new Error(`metric math subset: unexpected end of ${expression}`);
    if (t.kind === 'number') return t.value;
    if (t.kind === 'op' && t.op === '(') {
      const inner = conjunction();
      expect(')');
      return inner;
    }
    if (t.kind === 'id' && t.name === 'IF') {
      expect('(');
      const condition = conjunction();
      expect(',');
      const then = conjunction();
      expect(',');
      const otherwise = conjunction();
      expect(')');
      return ifExpression(condition, then, otherwise);
    }
    if (t.kind === 'id' && /^[a-z]/.test(t.name)) {
      const value = values.get(t.name);
      if (value === undefined) throw new Error(`metric math subset: no query "${t.name}" for ${expression}`);
      return value;
    }
    throw new Error(`metric math subset: "${t.kind === 'id' ? t.name : t.op}" is not in it`);
  };

  const result = conjunction();
  if (i !== tokens.length) throw new Error(`metric math subset: trailing input in ${expression}`);
  return result;
}

const timestampsOf = (...vs: Value[]): number[] =>
  [...new Set(vs.flatMap((v) => (isSeries(v) ? [...v.keys()] : [])))].sort((a, b) => a - b);

/** Arithmetic: a missing value counts as 0; `undefined` from `f` (a division by zero) drops the data point. */
function arithmetic(a: Value, b: Value, f: (x: number, y: number) => number | undefined): Value {
  if (!isSeries(a) && !isSeries(b)) {
    const v = f(a, b);
    if (v === undefined) throw new Error('metric math subset: scalar division by zero');
    return v;
  }
  const out: Series = new Map();
  for (const t of timestampsOf(a, b)) {
    const x = isSeries(a) ? (a.get(t) ?? 0) : a;
    const y = isSeries(b) ? (b.get(t) ?? 0) : b;
    const v = f(x, y);
    if (v !== undefined) out.set(t, v);
  }
  return out;
}

/** Comparisons and AND: between two series a missing value counts as 0; against a number, a series' own points. */
function logical(a: Value, b: Value, f: (x: number, y: number) => number): Value {
  if (!isSeries(a) && !isSeries(b)) return f(a, b);
  if (isSeries(a) && isSeries(b)) {
    return new Map(timestampsOf(a, b).map((t) => [t, f(a.get(t) ?? 0, b.get(t) ?? 0)]));
  }
  const series = (isSeries(a) ? a : b) as Series;
  return new Map([...series].map(([t, v]) => [t, isSeries(a) ? f(v, b as number) : f(a, v)]));
}

function ifExpression(condition: Value, then: Value, otherwise: Value): Value {
  if (!isSeries(condition)) throw new Error('metric math subset: IF with a scalar condition is not in it');
  const out: Series = new Map();
  for (const [t, c] of condition) {
    if (c !== 0) out.set(t, isSeries(then) ? (then.get(t) ?? 0) : then);
    else if (!isSeries(otherwise)) out.set(t, otherwise);
    else if (otherwise.has(t)) out.set(t, otherwise.get(t) as number);
  }
  return out;
}

/** An alarm's `Metrics` entry as the plugin writes it. */
export interface AlarmQuery {
  Id: string;
  Expression?: string;
  MetricStat?: { Metric: { MetricName: string; Dimensions: { Name: string }[] }; Period: number; Stat: string };
  ReturnData: boolean;
}

/**
 * The series an alarm's metric math produces. `data(metricName, onNewVersion)` gives the Sum of a Lambda metric per
 * period, of the new version (dimension ExecutedVersion) or of the whole alias.
 */
export function alarmSeries(
  metrics: readonly AlarmQuery[],
  data: (metricName: string, onNewVersion: boolean) => Series,
): Series {
  const values = new Map<string, Value>();
  for (const q of metrics) {
    if (q.MetricStat) {
      if (q.MetricStat.Stat !== 'Sum') throw new Error(`metric math subset: statistic ${q.MetricStat.Stat}`);
      const onNewVersion = q.MetricStat.Metric.Dimensions.some((d) => d.Name === 'ExecutedVersion');
      values.set(q.Id, data(q.MetricStat.Metric.MetricName, onNewVersion));
    } else {
      values.set(q.Id, evaluate(q.Expression as string, values));
    }
  }
  const watched = metrics.filter((q) => q.ReturnData);
  if (watched.length !== 1) throw new Error('an alarm watches exactly one expression');
  const result = values.get((watched[0] as AlarmQuery).Id) as Value;
  if (!isSeries(result)) throw new Error('an alarm watches a time series');
  return result;
}

/**
 * The alarm state after the period `at`: ALARM when each of the last `evaluationPeriods` periods breaches
 * (`value > threshold`); a period without a data point does not breach (TreatMissingData notBreaching).
 */
export function alarmState(
  series: Series,
  options: { at: number; evaluationPeriods: number; threshold: number; periodStep?: number },
): 'ALARM' | 'OK' {
  const step = options.periodStep ?? 1;
  for (let k = 0; k < options.evaluationPeriods; k += 1) {
    const v = series.get(options.at - k * step);
    if (v === undefined || !(v > options.threshold)) return 'OK';
  }
  return 'ALARM';
}
