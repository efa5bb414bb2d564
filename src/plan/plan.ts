/**
 * The plan: what a deploy of the transformed template will do, per function and for the stack. The transform
 * returns it beside the template; plan-text.ts puts it in words, and `traffic plan --json` prints it as it is.
 */
import type { TrafficStep } from '../config/strategy';

export interface FunctionPlan {
  name: string;
  /** shifted: CodeDeploy moves traffic; inPlace: the alias moves at once; untouched: the plugin leaves it alone. */
  mode: 'shifted' | 'inPlace' | 'untouched';
  strategy?: string;
  deploymentConfig?: string;
  alias?: string;
  timeline?: string;
  /** The same timeline as data: at `minute`, `percent` of the traffic is on the new version. */
  steps?: TrafficStep[];
  /** Minutes the alarms are watched after all traffic moved (bakeTime, BlueGreen). */
  bakeMinutes?: number;
  reason?: string;
  /** Event sources that reach the function through its alias. */
  events?: string[];
  /** Resources listed in allowBypass that do invoke the function itself: they reach new code at once. */
  bypasses?: string[];
  alarms: string[];
  hooks: string[];
  rollback?: string[];
  addedResources: string[];
}

export interface Plan {
  stage: string;
  functions: FunctionPlan[];
  /** Resources shared by the stack (application, role, custom deployment configs, generated hooks). */
  sharedResources: string[];
  /** Things the user should know that do not stop the build. */
  warnings: string[];
}
