// `node lro.cjs AAD_URL TENANT CLIENT_ID SECRET ARM_URL SUBSCRIPTION GROUP`, as the fixture operator:
// @azure/arm-resources' ResourceManagementClient, unmodified, deletes a resource group with
// beginDeleteAndWait (its poller follows ARM's Location and Retry-After), then reads the group.
// Prints one JSON line for tests/clients/test_lro.py.
"use strict";

const { ClientSecretCredential } = require("@azure/identity");
const { ResourceManagementClient } = require("@azure/arm-resources");

const ARM_SCOPE = "https://management.azure.com/.default";

async function run([aad, tenant, clientId, secret, arm, subscription, group]) {
  const credential = new ClientSecretCredential(tenant, clientId, secret, {
    authorityHost: aad,
    disableInstanceDiscovery: true,
  });
  const client = new ResourceManagementClient(credential, subscription, {
    endpoint: arm,
    credentialScopes: [ARM_SCOPE],
  });
  const result = {};
  await client.resourceGroups.beginDeleteAndWait(group);
  result.deleted = true;
  try {
    await client.resourceGroups.get(group);
    result.after = { status: 200 };
  } catch (error) {
    result.after = { status: error.statusCode, code: error.code };
  }
  console.log(JSON.stringify(result));
}

run(process.argv.slice(2)).catch((error) => {
  console.error(error);
  process.exit(1);
});
