// `node wi_arm.cjs ARM_URL SUBSCRIPTION GROUP`, run as a workload-identity pod under
// `mimic workload exec`: a token from @azure/identity's WorkloadIdentityCredential (from
// AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE and AZURE_AUTHORITY_HOST, as the AKS
// webhook sets them), then ResourceManagementClient (@azure/arm-resources) resourceGroups.get.
// Prints one JSON line for tests/clients/test_workload_identity.py:
//   {"token": {"oid", "aud", "tid", "appid", "xms_mirid"}, "status": 200|403|…, "error_code", "message"}
// or {"token_error": …} when no token could be had. Exit 0 whenever ARM answered.
//
// `disableInstanceDiscovery`: msal-node would otherwise ask login.microsoftonline.com to validate
// a non-Microsoft authority host, as for any sovereign or private cloud (wire contract §1 item 2).
"use strict";

const { WorkloadIdentityCredential } = require("@azure/identity");
const { ResourceManagementClient } = require("@azure/arm-resources");

const ARM_SCOPE = "https://management.azure.com/.default";

function claims(jwt) {
  const payload = JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString("utf8"));
  return { oid: payload.oid, aud: payload.aud, tid: payload.tid, appid: payload.appid, xms_mirid: payload.xms_mirid };
}

async function run(arm, subscription, group) {
  const credential = new WorkloadIdentityCredential({ disableInstanceDiscovery: true });
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
  const [arm, subscription, group] = process.argv.slice(2);
  if (!group) {
    console.error("usage: node wi_arm.cjs ARM_URL SUBSCRIPTION GROUP");
    process.exit(2);
  }
  // Safety net for this repository's hard rule: without it the credential would call
  // login.microsoftonline.com. Refuse instead.
  if (!process.env.AZURE_AUTHORITY_HOST) {
    console.log(JSON.stringify({ token_error: "AZURE_AUTHORITY_HOST is not set; refusing to run" }));
    process.exit(1);
  }
  const result = await run(arm, subscription, group);
  console.log(JSON.stringify(result));
  process.exitCode = result.token_error || result.arm_error ? 1 : 0;
}

main();
