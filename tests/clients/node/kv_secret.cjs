// @azure/keyvault-secrets' SecretClient reading one secret, getSecret(NAME), in one of two modes:
//
//   node kv_secret.cjs VAULT NAME
//     Sandbox mode (tests/clients/test_keyvault_sandbox.py), run inside `mimic vm exec VM --netns`
//     with nothing configured: SecretClient on `https://VAULT.vault.azure.net` with @azure/identity's
//     DefaultAzureCredential, exactly as the package's README writes it.
//   node kv_secret.cjs --host [--without-option] VAULT_URL NAME
//     Host mode (tests/clients/test_keyvault_host.py), as docs/key-vault.md sets it up: VAULT_URL is
//     `https://VAULT.vault.mimic.test:PORT/` (resolved by the hosts entry `mimic hosts --write`
//     keeps), the credential is a ClientSecretCredential with mimic's AAD as authorityHost and
//     instance discovery off (MIMIC_AAD, MIMIC_TENANT, MIMIC_CLIENT_ID, MIMIC_CLIENT_SECRET, as
//     `mimic env` exports them), and the client gets the documented option
//     `disableChallengeResourceVerification: true` — unless `--without-option`, the documented
//     negative: the client then has no options at all.
//
// Prints one JSON line: {"status": 200, "value": …} or {"status": 403, "code", "inner", "message"}
// (Key Vault's error) or {"client_error": …} when the client failed before Key Vault answered.
//
// Mimic's CA is trusted through NODE_EXTRA_CA_CERTS (set by the sandbox, or by the test on the host).
// Safety nets for this repository's hard rule, so that no request can leave the machine: in sandbox
// mode the program refuses to run unless 169.254.169.254 (the managed-identity source's address) is
// an address of this machine; in host mode, unless the vault's host and mimic's AAD resolve to
// loopback addresses only.
"use strict";

const dns = require("node:dns/promises");
const os = require("node:os");
const { ClientSecretCredential, DefaultAzureCredential } = require("@azure/identity");
const { SecretClient } = require("@azure/keyvault-secrets");

const USAGE = "usage: node kv_secret.cjs VAULT NAME | node kv_secret.cjs --host [--without-option] VAULT_URL NAME";

function linkLocalIsLocal() {
  return Object.values(os.networkInterfaces())
    .flat()
    .some((address) => address.address === "169.254.169.254");
}

async function loopbackOnly(url) {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  const addresses = await dns.lookup(host, { all: true });
  return addresses.length > 0 && addresses.every(({ address }) => address.startsWith("127.") || address === "::1");
}

function sandboxClient(vault) {
  return new SecretClient(`https://${vault}.vault.azure.net`, new DefaultAzureCredential());
}

function hostClient(vaultUrl, withOption) {
  const env = process.env;
  const credential = new ClientSecretCredential(env.MIMIC_TENANT, env.MIMIC_CLIENT_ID, env.MIMIC_CLIENT_SECRET, {
    authorityHost: env.MIMIC_AAD,
    disableInstanceDiscovery: true,
  });
  return withOption
    ? new SecretClient(vaultUrl, credential, { disableChallengeResourceVerification: true })
    : new SecretClient(vaultUrl, credential);
}

async function read(client, name) {
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

// Returns the client to use, or a {client_error} result when the program must not run.
async function setUp(args) {
  if (args[0] !== "--host") {
    const [vault] = args;
    if (!linkLocalIsLocal()) {
      const hint = "run me in `mimic vm exec VM --netns`";
      return { client_error: `169.254.169.254 is not an address of this machine: ${hint}` };
    }
    return sandboxClient(vault);
  }
  const withOption = args[1] !== "--without-option";
  const [vaultUrl] = args.slice(withOption ? 1 : 2);
  for (const url of [vaultUrl, process.env.MIMIC_AAD]) {
    if (!url || !(await loopbackOnly(url).catch(() => false))) {
      return { client_error: `${url} does not resolve to loopback addresses only: refusing to send anything there` };
    }
  }
  return hostClient(vaultUrl, withOption);
}

async function main() {
  const args = process.argv.slice(2);
  const expected = args[0] !== "--host" ? 2 : args[1] === "--without-option" ? 4 : 3;
  if (args.length !== expected) {
    console.error(USAGE);
    process.exit(2);
  }
  const client = await setUp(args);
  const result = client instanceof SecretClient ? await read(client, args[args.length - 1]) : client;
  console.log(JSON.stringify(result));
  process.exit(result.client_error ? 1 : 0);
}

main();
