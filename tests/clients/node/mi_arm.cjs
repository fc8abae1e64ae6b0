// `node mi_arm.cjs ARM_URL SUBSCRIPTION GROUP [CLIENT_ID]`, run as the VM under `mimic vm exec`:
// a token from @azure/identity's ManagedIdentityCredential, then ResourceManagementClient
// (@azure/arm-resources) resourceGroups.get. Prints one JSON line for tests/clients/test_node.py:
//   {"token": {"oid", "aud", "tid", "appid"}, "status": 200|403|…, "error_code", "message", "group"}
// or {"token_error": …} when no token could be had. Exit 0 whenever ARM answered.
//
// How the clients find mimic, all the way a user configures them (no patching):
// - IMDS: `mimic vm exec` sets AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:PORT. In
//   @azure/identity 4.13.1 the IMDS source is msal-node's (5.x) `Imds.tryCreate`, which uses
//   `${AZURE_POD_IDENTITY_AUTHORITY_HOST}/metadata/identity/oauth2/token`; @azure/identity's own
//   availability probe (imdsMsi.isAvailable) is skipped when that variable is set, so the only IMDS
//   request is the token GET (api-version=2018-02-01, resource=https://management.azure.com,
//   `Metadata: true`).
// - ARM: `endpoint` = mimic's ARM URL (https; core-rest-pipeline's bearer policy refuses http), the
//   CA trusted through NODE_EXTRA_CA_CERTS (set by `mimic vm exec`). `credentialScopes` is needed:
//   the generated client's default scope is `${endpoint}/.default`, which would ask IMDS for a token
//   whose audience is mimic's URL — exactly as for any non-public cloud, where users pass that
//   cloud's ARM audience.
"use strict";

const { ManagedIdentityCredential } = require("@azure/identity");
const { ResourceManagementClient } = require("@azure/arm-resources");

const ARM_SCOPE = "https://management.azure.com/.default";

function claims(jwt) {
  const payload = JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString("utf8"));
  return { oid: payload.oid, aud: payload.aud, tid: payload.tid, appid: payload.appid };
}

async function run(arm, subscription, group, clientId) {
  const credential = clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
  let token;
  try {
    token = await credential.getToken(ARM_SCOPE);
  } catch (error) {
    return { token_error: `${error.name}: ${error.message}` };
  }
  const result = { token: claims(token.token) };
  const client = new ResourceManagementClient(credential, subscription, {
    endpoint: arm,
    credentialScopes: [ARM_SCOPE],
  });
  try {
    const found = await client.resourceGroups.get(group);
    Object.assign(result, { status: 200, group: { id: found.id, name: found.name } });
  } catch (error) {
    if (error.statusCode === undefined) {
      return { ...result, arm_error: `${error.name}: ${error.message}` };
    }
    Object.assign(result, { status: error.statusCode, error_code: error.code, message: error.message });
  }
  return result;
}

async function main() {
  const [arm, subscription, group, clientId] = process.argv.slice(2);
  if (!group) {
    console.error("usage: node mi_arm.cjs ARM_URL SUBSCRIPTION GROUP [CLIENT_ID]");
    process.exit(2);
  }
  // Safety net for this repository's hard rule: without it the credential would probe and then
  // call 169.254.169.254. Refuse instead.
  if (!process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST) {
    console.log(JSON.stringify({ token_error: "AZURE_POD_IDENTITY_AUTHORITY_HOST is not set; refusing to run" }));
    process.exit(1);
  }
  const result = await run(arm, subscription, group, clientId);
  console.log(JSON.stringify(result));
  process.exitCode = result.token_error || result.arm_error ? 1 : 0;
}

main();
