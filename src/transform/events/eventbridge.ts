/** `schedule`, `eventBridge` and `cloudwatchEvent`: EventBridge rules and EventBridge Scheduler schedules. */
import { show, type EventSourceModule } from './types';

export const eventBridge: EventSourceModule = {
  resourceTypes: ['AWS::Events::Rule', 'AWS::Scheduler::Schedule'],
  describe: (logicalId, resource) => {
    const p = resource.Properties ?? {};
    if (resource.Type === 'AWS::Scheduler::Schedule') return `schedule (scheduler) ${show(p.ScheduleExpression)}`;
    if (p.ScheduleExpression !== undefined) return `schedule ${show(p.ScheduleExpression)}`;
    return `eventBridge rule ${p.Name !== undefined ? show(p.Name) : logicalId}${p.EventBusName !== undefined ? ` on bus ${show(p.EventBusName)}` : ''}`;
  },
};
