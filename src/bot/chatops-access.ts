// Who may do what from Slack (chatops.users in mod.config.yml): any mapped
// user may read (status, gates, history, help); deploy and rollback need
// `deployer` for an ordinary environment and `releaser` for a production-like
// one; an unmapped user may do nothing. A refusal says how to be let in.
import { needsConfirmation, type ChatopsRole, type Environment, type ModConfig } from '../delivery/config.js';
import { missingRoleText, unmappedUserText } from './slack-format.js';

export interface ChatUser {
  slackUser: string;
  github: string;
  roles: ChatopsRole[];
}

export function chatUser(config: ModConfig, slackUser: string): ChatUser | undefined {
  const entry = config.chatops?.users[slackUser];
  return entry ? { slackUser, github: entry.github, roles: entry.roles } : undefined;
}

/** The history's initiator for a Slack user, as the contract has it. */
export function initiatorOf(user: ChatUser): string {
  return `slack:${user.slackUser} (${user.github})`;
}

/** The role deploying to or rolling back `env` needs. */
export function roleFor(env: Environment): ChatopsRole {
  return needsConfirmation(env) ? 'releaser' : 'deployer';
}

/** Why this user may not change `env` (a message for them), or undefined when they may. */
export function changeRefusal(user: ChatUser, env: Environment, action: 'deploy' | 'rollback'): string | undefined {
  const role = roleFor(env);
  if (user.roles.includes(role)) return undefined;
  return missingRoleText(user.slackUser, role, `${action} ${env.name}${role === 'releaser' ? ' (a production-like environment)' : ''}`);
}

export { unmappedUserText };
