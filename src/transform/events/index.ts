/**
 * The registry of event sources: resource type → the module that knows it. The framework wires most events of a
 * shifted function to the alias itself (the plugin sets `targetAlias`); modules describe them for the plan and
 * rewire the few the framework leaves on the function. A new event type is one new module listed here.
 */
import { alb } from './alb';
import { appSync } from './appsync';
import { apiGateway } from './api-gateway';
import { apiGatewayV2 } from './api-gateway-v2';
import { cloudFront } from './cloudfront';
import { cloudwatchLogs } from './cloudwatch-logs';
import { cognito } from './cognito';
import { eventBridge } from './eventbridge';
import { eventSourceMapping } from './event-source-mapping';
import { frameworkCustomResources } from './framework-custom-resources';
import { iot } from './iot';
import { lambdaConfig } from './lambda-config';
import { permission } from './permission';
import { s3 } from './s3';
import { sns } from './sns';
import { stepFunctions } from './step-functions';
import type { EventSourceModule } from './types';

export const EVENT_SOURCE_MODULES: readonly EventSourceModule[] = [
  apiGateway,
  apiGatewayV2,
  permission,
  eventSourceMapping,
  eventBridge,
  sns,
  s3,
  cognito,
  cloudwatchLogs,
  iot,
  alb,
  lambdaConfig,
  stepFunctions,
  appSync,
  cloudFront,
  frameworkCustomResources,
];

const byType = new Map<string, EventSourceModule>(
  EVENT_SOURCE_MODULES.flatMap((m) => m.resourceTypes.map((t) => [t, m] as const)),
);

export function eventSourceModule(resourceType: string): EventSourceModule | undefined {
  return byType.get(resourceType);
}

export type { EventSourceModule, RewireTarget } from './types';
