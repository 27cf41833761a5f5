// host/sdk/rest: the SDK's REST transport (hive-gateway). connect.ts's restClient() loads this.

import type { NamespaceClient } from "../ns.js";
import { RestNamespaceClient } from "./client.js";

export { RestClient, RestNamespaceClient, RestRefusal, refusal, type Exchange, type GatewayBody, type RestOptions } from "./client.js";

/** A NamespaceClient over hive-gateway at `url`, authenticating with the request `token`. */
export async function restClient(url: string, token?: string): Promise<NamespaceClient> {
  const ns = new RestNamespaceClient({ url, token: token ?? "" });
  await ns.connect();
  return ns;
}
