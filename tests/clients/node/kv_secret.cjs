// `node kv_secret.cjs VAULT NAME`, run inside `mimic vm exec VM --netns` with nothing configured:
// @azure/keyvault-secrets' SecretClient on `https://VAULT.vault.azure.net` with @azure/identity's
// DefaultAzureCredential, exactly as the package's README writes it, then getSecret(NAME). Prints
// one JSON line for tests/clients/test_keyvault_sandbox.py:
//   {"status": 200, "value": …} or {"status": 403, "code", "inner", "message"} (Key Vault's error)
// or {"client_error": …} when the client failed before Key Vault answered.
//
// Inside the sandbox VAULT.vault.azure.net and login.microsoftonline.com resolve to mimic, whose
// CA node trusts through NODE_EXTRA_CA_CERTS (set by the sandbox), and the credential's
// managed-identity source reaches the VM's IMDS at 169.254.169.254, bound on the namespace's own
// loopback. Safety net for this repository's hard rule: the program refuses to run unless
// 169.254.169.254 is an address of this machine, so no request can leave it.
"use strict";

const os = require("node:os");
const { DefaultAzureCredential } = require("@azure/identity");
const { SecretClient } = require("@azure/keyvault-secrets");

function linkLocalIsLocal() {
  return Object.values(os.networkInterfaces())
    .flat()
    .some((address) => address.address === "169.254.169.254");
}

async function read(vault, name) {
  const client = new SecretClient(`https://${vault}.vault.azure.net`, new DefaultAzureCredential());
  try {
    const secret = await client.getSecret(name);
    return { status: 200, value: secret.value };
  } catch (error) {
    if (error.statusCode === undefined) {
      return { client_error: `${error.name}: ${error.message}` };
    }
    // The SDK's own reading of Key Vault's error body: `details` = {error: {code, message, innerError}}.
    const detail = error.details?.error ?? {};
    return {
      status: error.statusCode,
      code: error.code,
      inner: detail.innerError?.code,
      message: detail.message,
    };
  }
}

async function main() {
  const [vault, name] = process.argv.slice(2);
  if (!name) {
    console.error("usage: node kv_secret.cjs VAULT NAME");
    process.exit(2);
  }
  if (!linkLocalIsLocal()) {
    console.log(JSON.stringify({ client_error: "169.254.169.254 is not an address of this machine: run me in `mimic vm exec VM --netns`" }));
    process.exit(1);
  }
  const result = await read(vault, name);
  console.log(JSON.stringify(result));
  process.exit(result.client_error ? 1 : 0);
}

main();
