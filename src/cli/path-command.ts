// `cairn path`: the offline what-if. Loads a topology (YAML or Topology Zoo GraphML), asks the path
// engine one question, prints the answer. Exit 0 path found, 3 infeasible, 2 bad input. The
// question and the answer's text are path-query.ts's (the web UI's what-if asks the same).
import { findPath } from "../core/path-engine.js";
import { loadTopologyOption } from "./topology-input.js";
import { answerJson, formatAnswer, pathQuery, type PathOptions } from "./path-query.js";

export const EXIT_INFEASIBLE = 3;
export { shortened } from "./notes.js";
export type { PathOptions } from "./path-query.js";

export async function pathCommand(o: PathOptions): Promise<number> {
  const { topology, notes: importNotes } = await loadTopologyOption(o.topology, o.igp);
  const query = pathQuery(topology, o);
  const answer = findPath(topology, query);
  const notes = [...importNotes.map((n) => `topology: ${n}`), ...(answer.ok ? answer.notes : [])];
  if (o.json) console.log(JSON.stringify(answerJson(answer, notes), null, 2));
  else console.log(formatAnswer(query, answer, notes));
  return answer.ok ? 0 : EXIT_INFEASIBLE;
}

