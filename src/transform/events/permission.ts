/** The `AWS::Lambda::Permission` every push event source needs: on the alias, or the source's calls are refused. */
import { show, type EventSourceModule } from './types';

export const permission: EventSourceModule = {
  resourceTypes: ['AWS::Lambda::Permission'],
  describe: (_logicalId, resource) => {
    const principal = show(resource.Properties?.Principal);
    // Alexa has no other resource: its permission, with the skill id, is the event source.
    const skill = resource.Properties?.EventSourceToken;
    if (principal === 'alexa-appkit.amazon.com') return `alexaSkill ${show(skill)}`;
    if (principal === 'alexa-connectedhome.amazon.com') return `alexaSmartHome ${show(skill)}`;
    return `permission for ${principal}`;
  },
};
