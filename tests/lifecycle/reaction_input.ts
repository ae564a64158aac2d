/** Inputs of the reaction planner for its tests: parameters before, changes, the rest default. */
import type { ReactionInput, ReactionParams } from "../../lib/node/lifecycle/reaction.ts";

/** The network parameters a test node runs with before a change. */
export const PARAMS: ReactionParams = {
  clientCount: 10,
  maxClients: 20,
  hello: 15,
  tunnelRefresh: 300,
  registryPrefix: "0000000000000001",
  protocol: 10,
  minProtocol: 1,
  delayRestart: 0,
};

/** `changed` names with `after` on top of PARAMS, no command-line overrides, nothing revoked. */
export function reactionInput(
  changed: string[],
  after: Partial<ReactionParams> = {},
  over: Partial<ReactionInput> = {},
): ReactionInput {
  return {
    changed,
    before: PARAMS,
    after: { ...PARAMS, ...after },
    cli: {},
    protocol: 10,
    ownRevoked: false,
    servedClientRevoked: false,
    ...over,
  };
}
