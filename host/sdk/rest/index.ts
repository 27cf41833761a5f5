// host/sdk/rest: the SDK's REST transport (hive-gateway).

export { RestClient, RestNamespaceClient, RestRefusal, refusal, type Exchange, type GatewayBody, type RestOptions } from "./client.js";

export { restClient } from "../connect.js";
