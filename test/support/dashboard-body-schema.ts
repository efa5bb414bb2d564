/**
 * The CloudWatch dashboard body structure as documented ("Dashboard Body Structure and Syntax", CloudWatch API
 * Reference), written as a JSON schema of the parts the plugin uses: the overall structure, widgets on the 24-column
 * grid, text widgets, metric widgets and the format of each metric and expression in their `metrics`.
 */
import Ajv from 'ajv';

const stat = {
  anyOf: [
    { enum: ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] },
    { type: 'string', pattern: '^p\\d{1,2}(\\.\\d+)?$' },
  ],
};
const period = { type: 'integer', minimum: 60, multipleOf: 60 };
const axis = {
  type: 'object',
  properties: {
    label: { type: 'string' },
    min: { type: 'number' },
    max: { type: 'number' },
    showUnits: { type: 'boolean' },
  },
  additionalProperties: false,
};
/** The object that may end a metric: its id, label and region, and the rendering properties. */
const metricOptions = {
  type: 'object',
  properties: {
    id: { type: 'string', pattern: '^[a-z][A-Za-z0-9_]*$' },
    label: { type: 'string' },
    region: { type: 'string' },
    accountId: { type: 'string' },
    color: { type: 'string', pattern: '^#[0-9a-fA-F]{6}$' },
    period,
    stat,
    visible: { type: 'boolean' },
    yAxis: { enum: ['left', 'right'] },
  },
  additionalProperties: false,
};
const expressionRow = {
  type: 'array',
  minItems: 1,
  maxItems: 1,
  items: [
    {
      type: 'object',
      required: ['expression'],
      properties: {
        expression: { type: 'string', minLength: 1 },
        label: { type: 'string' },
        id: { type: 'string', pattern: '^[a-z][A-Za-z0-9_]*$' },
      },
      additionalProperties: false,
    },
  ],
};
const metricRow = {
  type: 'array',
  minItems: 2,
  items: [{ type: 'string' }, { type: 'string' }],
  additionalItems: { anyOf: [{ type: 'string' }, metricOptions] },
};
const metricWidget = {
  type: 'object',
  required: ['region', 'metrics'],
  properties: {
    metrics: { type: 'array', maxItems: 500, items: { anyOf: [expressionRow, metricRow] } },
    region: { type: 'string', minLength: 1 },
    title: { type: 'string' },
    view: { enum: ['timeSeries', 'singleValue', 'gauge', 'bar', 'pie', 'table'] },
    stacked: { type: 'boolean' },
    period,
    stat,
    liveData: { type: 'boolean' },
    legend: { type: 'object', properties: { position: { enum: ['right', 'bottom', 'hidden'] } } },
    yAxis: { type: 'object', properties: { left: axis, right: axis }, additionalProperties: false },
  },
  additionalProperties: false,
};
const textWidget = {
  type: 'object',
  required: ['markdown'],
  properties: { markdown: { type: 'string' }, background: { enum: ['transparent', 'solid'] } },
  additionalProperties: false,
};
export const DASHBOARD_BODY_SCHEMA = {
  type: 'object',
  required: ['widgets'],
  properties: {
    widgets: {
      type: 'array',
      maxItems: 500,
      items: {
        type: 'object',
        required: ['type', 'properties'],
        properties: {
          type: { enum: ['metric', 'text', 'log', 'alarm', 'explorer'] },
          x: { type: 'integer', minimum: 0, maximum: 23 },
          y: { type: 'integer', minimum: 0 },
          width: { type: 'integer', minimum: 1, maximum: 24 },
          height: { type: 'integer', minimum: 1, maximum: 1000 },
          properties: { type: 'object' },
        },
        dependencies: { x: ['y'], y: ['x'] },
        additionalProperties: false,
        allOf: [
          { if: { properties: { type: { const: 'metric' } } }, then: { properties: { properties: metricWidget } } },
          { if: { properties: { type: { const: 'text' } } }, then: { properties: { properties: textWidget } } },
        ],
      },
    },
    start: { type: 'string', pattern: '^-P(T\\d+[MH]|\\d+[DWM])$' },
    end: { type: 'string' },
    periodOverride: { enum: ['auto', 'inherit'] },
  },
  additionalProperties: false,
};

/** Validates a parsed dashboard body; `validateDashboardBody.errors` says what is wrong. */
export const validateDashboardBody = new Ajv({ allErrors: true, strictTuples: false }).compile(DASHBOARD_BODY_SCHEMA);
