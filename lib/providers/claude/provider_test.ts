/** Claude sign-ins: the OAuth beta flag joins the client's flags once. */

import assert from "node:assert/strict";
import { mergeBetas } from "./provider.ts";

Deno.test("beta flags merge without duplicates", () => {
  assert.equal(mergeBetas(null, "oauth-2025-04-20"), "oauth-2025-04-20");
  assert.equal(mergeBetas("a, oauth-2025-04-20", "oauth-2025-04-20"), "a,oauth-2025-04-20");
  assert.equal(mergeBetas("a,b", "oauth-2025-04-20"), "a,b,oauth-2025-04-20");
});
