/**
 * Generates the bench services: `count` functions, each with one event of a different type in turn, in one of three
 * variants: no shifting plugin; serverless-traffic-shift, every function shifted by `custom.deploymentSettings` with
 * the default alarms; serverless-plugin-canary-deployments 0.8.0, every function shifted by its own settings shape
 * (`deploymentSettings` with `type` and `alias` on each function, as its README asks). Written as JSON, which is
 * valid YAML.
 */
'use strict';

const fs = require('fs');
const path = require('path');

/** One event per function, in turn: the mixture a large service has. */
const EVENTS = [
  (i) => ({ http: { path: `items${i}`, method: 'get' } }),
  (i) => ({ httpApi: { path: `/orders${i}`, method: 'post' } }),
  (i) => ({ sqs: { arn: `arn:aws:sqs:us-east-1:123456789012:queue-${i}`, batchSize: 10 } }),
  (i) => ({ sns: `topic-${i}` }),
  (i) => ({ schedule: `rate(${(i % 50) + 1} minutes)` }),
  (i, service) => ({ s3: { bucket: `${service}-uploads-${i}`, event: 's3:ObjectCreated:*' } }),
  (i) => ({
    stream: {
      type: 'dynamodb',
      arn: `arn:aws:dynamodb:us-east-1:123456789012:table/table-${i}/stream/2024-01-01T00:00:00.000`,
    },
  }),
  (i) => ({ eventBridge: { pattern: { source: [`bench.app${i}`] } } }),
  (i) => ({ stream: { type: 'kinesis', arn: `arn:aws:kinesis:us-east-1:123456789012:stream/stream-${i}` } }),
  (i) => ({
    alb: {
      listenerArn:
        'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/bench/50dc6c495c0c9188/f2f7dc8efc522ab2',
      priority: i + 1,
      conditions: { path: `/alb${i}` },
    },
  }),
];

const EVENT_NAMES = [
  'http',
  'httpApi',
  'sqs',
  'sns',
  'schedule',
  's3',
  'stream (dynamodb)',
  'eventBridge',
  'stream (kinesis)',
  'alb',
];

/** The shift both plugins are asked for. */
const TYPE = 'Canary10Percent5Minutes';

/**
 * @param {object} options
 * @param {number} options.count functions
 * @param {'none' | 'ours' | 'old'} options.variant which shifting plugin the service lists, with its settings
 * @param {string} [options.pluginPath] absolute path of that plugin (ours: the repository root)
 * @param {string} [options.probe] absolute path of the timing probe (probe.js), listed after the plugin
 */
function serviceConfiguration({ count, variant, pluginPath, probe }) {
  const service = `ts-bench-${count}`;
  const functions = {};
  for (let i = 0; i < count; i += 1) {
    functions[`fn${String(i).padStart(3, '0')}`] = {
      handler: 'bootstrap',
      events: [EVENTS[i % EVENTS.length](i, service)],
      ...(variant === 'old' && { deploymentSettings: { type: TYPE, alias: 'Live' } }),
    };
  }
  return {
    service,
    frameworkVersion: '3',
    configValidationMode: 'error',
    ...(variant !== 'none' && { plugins: [pluginPath, probe] }),
    provider: { name: 'aws', runtime: 'provided.al2023', region: 'us-east-1', stage: 'dev' },
    package: { patterns: ['!**', 'bootstrap'] },
    ...(variant === 'ours' && { custom: { deploymentSettings: { type: TYPE } } }),
    functions,
  };
}

/** Writes the service into `dir` (created) with an empty `bootstrap`. */
function writeService(dir, options) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'serverless.yml'), JSON.stringify(serviceConfiguration(options), null, 2));
  fs.writeFileSync(path.join(dir, 'bootstrap'), '#!/bin/sh\n', { mode: 0o755 });
}

module.exports = { writeService, EVENT_NAMES };
