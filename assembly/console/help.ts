// The diagnostic verbs both consoles answer alike (the first rows of the generated verb table);
// each console appends its own lines.

import { VERB_HELP } from "../generated/protocol";

export const DIAGNOSTIC_HELP: string[] = ["Commands:"].concat(VERB_HELP.slice(0, 5));
