/**
 * The soak's invariant for its Responses WebSocket sessions (`sockets.ts`),
 * a pure function of the run's evidence like the others in `checks.ts`:
 * each turn's attempts carry the whole conversation, and a turn its client
 * closed stops its upstream.
 *
 * @module
 */

import type { Row } from "./checks.ts";
import type { Index } from "./evidence.ts";

/** Counterexamples shown (as in `checks.ts`, which imports this module). */
const EXAMPLES = 3;

/** How long after its client closed mid-turn a turn's upstream request may go on. */
const CANCEL_SLACK_MS = 5000;

/**
 * The WebSocket sessions: every attempt of every turn reached its upstream with the whole
 * conversation its `previous_response_id` stands for (the earlier turns' prompts and the
 * answers they got, in order, then its own), whichever account served the turn before; and a
 * client that closed mid-turn stopped its upstream request.
 */
export function socketConversations(index: Index): Row {
  const records = index.evidence.clients.filter((client) => client.socket);
  const turns = records.filter((client) => !client.socket!.warmup);
  const problems: string[] = [];
  let attempts = 0;
  let continued = 0;
  let moved = 0;
  const same = (a: readonly string[], b: readonly string[]) =>
    a.length === b.length && a.every((name, i) => name === b[i]);
  for (const turn of turns) {
    const { session, chain, closedByClient } = turn.socket!;
    const own = [...chain.turns, turn.id];
    for (const arrival of index.attemptsOf(turn.id)) {
      attempts++;
      const at = `${turn.id} at ${arrival.account}`;
      if (arrival.session !== session || !arrival.history) {
        problems.push(`${at}: not sent as a turn of ${session}`);
      } else if (!same(arrival.history.turns, own)) {
        problems.push(`${at}: carried turns [${arrival.history.turns}], not [${own}]`);
      } else if (!same(arrival.history.responses, chain.responses)) {
        problems.push(
          `${at}: carried answers [${arrival.history.responses}], not [${chain.responses}]`,
        );
      }
    }
    const previous = chain.turns.at(-1);
    if (previous !== undefined) {
      continued++;
      const before = index.clients.get(previous);
      const was = before && index.serving(before)?.account;
      const now = index.serving(turn)?.account;
      if (was && now && was !== now) moved++;
    }
    const serving = index.serving(turn);
    if (closedByClient && serving && serving.endedAt !== undefined && !serving.completed) {
      if (serving.endedAt > turn.endedAt + CANCEL_SLACK_MS) {
        problems.push(`${turn.id}: its upstream went on ${serving.endedAt - turn.endedAt} ms`);
      }
    }
  }
  const sessions = new Set(records.map((client) => client.socket!.session)).size;
  const warmups = records.length - turns.length;
  const closed = turns.filter((turn) => turn.socket!.closedByClient).length;
  return {
    name: "every WebSocket turn reaches each account it tries with the whole conversation",
    ok: problems.length === 0 && continued > 0,
    detail: `${sessions} sessions, ${turns.length} WebSocket turns (+${warmups} warm-ups), ` +
      `${attempts} attempts checked; ${continued} continued an earlier response, ${moved} of ` +
      `them on another account than the one before; ${closed} closed by the client mid-turn` +
      (continued === 0 ? "; no turn continued a conversation" : "") +
      (problems.length
        ? `; ${problems.length} problems, e.g. ${problems.slice(0, EXAMPLES).join("; ")}`
        : ""),
  };
}
