// `node authorization.cjs AAD_URL TENANT CLIENT_ID SECRET ARM_URL SUBSCRIPTION GROUP PRINCIPAL_ID`, run as
// the fixture operator: @azure/identity's ClientSecretCredential and @azure/arm-authorization's
// AuthorizationManagementClient, unmodified, for role definitions (list by name, get, create a
// custom role, delete) and role assignments (create, get, list for scope, delete). Prints one JSON
// line for tests/clients/test_node_authorization.py; errors are recorded as {code, status}.
//
// Configuration as for any non-public cloud: the credential's authorityHost is mimic's AAD (instance
// discovery off), the client's endpoint is mimic's ARM with ARM's audience as credentialScopes, and
// mimic's CA comes through NODE_EXTRA_CA_CERTS.
"use strict";

const crypto = require("node:crypto");
const { ClientSecretCredential } = require("@azure/identity");
const { AuthorizationManagementClient } = require("@azure/arm-authorization");

const ARM_SCOPE = "https://management.azure.com/.default";

async function outcome(call) {
  try {
    return { ok: await call() };
  } catch (error) {
    return { code: error.code, status: error.statusCode };
  }
}

async function run([aad, tenant, clientId, secret, arm, subscription, group, principalId]) {
  const credential = new ClientSecretCredential(tenant, clientId, secret, {
    authorityHost: aad,
    disableInstanceDiscovery: true,
  });
  const client = new AuthorizationManagementClient(credential, subscription, {
    endpoint: arm,
    credentialScopes: [ARM_SCOPE],
  });
  const subscriptionScope = `/subscriptions/${subscription}`;
  const groupScope = `${subscriptionScope}/resourceGroups/${group}`;
  const result = {};

  const readers = [];
  for await (const role of client.roleDefinitions.list(groupScope, { filter: "roleName eq 'reader'" })) {
    readers.push({ id: role.id, name: role.name, roleName: role.roleName, roleType: role.roleType });
  }
  result.readers = readers;
  const reader = await client.roleDefinitions.get(groupScope, readers[0].name);
  result.reader = { id: reader.id, actions: reader.permissions[0].actions };

  const roleId = crypto.randomUUID();
  const roleName = `Node Group Reader ${roleId.slice(0, 8)}`;
  const custom = await client.roleDefinitions.createOrUpdate(subscriptionScope, roleId, {
    roleName,
    description: "Reads resource groups",
    roleType: "CustomRole",
    permissions: [{ actions: ["Microsoft.Resources/subscriptions/resourceGroups/read"], notActions: [] }],
    assignableScopes: [subscriptionScope],
  });
  result.custom = { id: custom.id, name: custom.name, roleName: custom.roleName, roleType: custom.roleType };
  const customs = [];
  for await (const role of client.roleDefinitions.list(subscriptionScope, { filter: "type eq 'CustomRole'" })) {
    customs.push(role.name);
  }
  result.customs = customs;

  const assignmentName = crypto.randomUUID();
  const assignment = await client.roleAssignments.create(groupScope, assignmentName, {
    roleDefinitionId: custom.id,
    principalId,
    principalType: "ServicePrincipal",
  });
  result.assignment = {
    id: assignment.id,
    scope: assignment.scope,
    roleDefinitionId: assignment.roleDefinitionId,
    principalId: assignment.principalId,
  };
  const got = await client.roleAssignments.get(groupScope, assignmentName);
  result.got = got.id;
  const listed = [];
  for await (const item of client.roleAssignments.listForScope(groupScope, { filter: `principalId eq '${principalId}'` })) {
    listed.push(item.name);
  }
  result.listed = listed;

  result.deleteAssigned = await outcome(() => client.roleDefinitions.delete(subscriptionScope, roleId));
  const removed = await client.roleAssignments.delete(groupScope, assignmentName);
  result.removed = removed.name;
  const deleted = await client.roleDefinitions.delete(subscriptionScope, roleId);
  result.deleted = deleted.name;
  result.gone = await outcome(() => client.roleDefinitions.get(subscriptionScope, roleId));
  return result;
}

run(process.argv.slice(2)).then(
  (result) => console.log(JSON.stringify(result)),
  (error) => {
    console.log(JSON.stringify({ error: `${error.name}: ${error.message}`, code: error.code }));
    process.exit(1);
  },
);
