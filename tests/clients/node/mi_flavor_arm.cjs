// `node mi_flavor_arm.cjs ARM_URL SUBSCRIPTION GROUP [CLIENT_ID]`, run as the VM under
// `mimic vm exec VM --flavor appservice|cloudshell|azureml|arc`: mi_arm.cjs's flow (a token from
// @azure/identity's ManagedIdentityCredential, then @azure/arm-resources resourceGroups.get) through
// another managed-identity source than IMDS. Prints one JSON line for tests/clients/test_flavors_node.py:
//   {"source": "<which variables chose it>", "token": {…}, "status": …} or {"token_error": …}.
//
// @azure/identity 4.13 hands App Service, Cloud Shell, Azure ML and Azure Arc to msal-node's
// ManagedIdentityApplication, which picks the source from the environment (IDENTITY_ENDPOINT +
// IDENTITY_HEADER → App Service; IDENTITY_ENDPOINT + IMDS_ENDPOINT → Arc; MSI_ENDPOINT + MSI_SECRET →
// Azure ML; MSI_ENDPOINT → Cloud Shell). `mimic vm exec --flavor` sets exactly one of those sets, each
// pointing at the VM's listener on 127.0.0.1.
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

function source(env) {
  if (env.IDENTITY_ENDPOINT && env.IDENTITY_HEADER) return "appservice";
  if (env.IDENTITY_ENDPOINT && env.IMDS_ENDPOINT) return "arc";
  if (env.MSI_ENDPOINT && env.MSI_SECRET) return "azureml";
  if (env.MSI_ENDPOINT) return "cloudshell";
  return null;
}

async function main() {
  const [arm, subscription, group, clientId] = process.argv.slice(2);
  if (!group) {
    console.error("usage: node mi_flavor_arm.cjs ARM_URL SUBSCRIPTION GROUP [CLIENT_ID]");
    process.exit(2);
  }
  // Safety net for this repository's hard rule: with no source variable the credential would probe
  // and then call 169.254.169.254. Refuse instead; and every endpoint must be on loopback.
  const found = source(process.env);
  const endpoints = [process.env.IDENTITY_ENDPOINT, process.env.MSI_ENDPOINT].filter(Boolean);
  if (!found || !endpoints.every((url) => new URL(url).hostname === "127.0.0.1")) {
    console.log(JSON.stringify({ token_error: "no loopback managed-identity source in the environment; refusing to run" }));
    process.exit(1);
  }
  const result = { source: found, ...(await run(arm, subscription, group, clientId)) };
  console.log(JSON.stringify(result));
  process.exitCode = result.token_error || result.arm_error ? 1 : 0;
}

main();
