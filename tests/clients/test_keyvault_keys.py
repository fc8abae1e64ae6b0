"""Issue 16 item 2, keys, with the real azure-keyvault-keys (the version az pins) as the operator:
KeyClient creates RSA and EC keys, CryptographyClient signs, verifies, wraps and unwraps, and every
result is checked independently with the `cryptography` package from the public JSON Web Key alone.

Host mode, as docs/key-vault.md sets it up: a vault's URI is `https://{vault}.vault.mimic.test:{port}/`,
a name only the hosts entries `mimic hosts --write` keeps resolve (test_keyvault_host.Host: a private
hosts file bind-mounted over /etc/hosts in a nested mount namespace), with REQUESTS_CA_BUNDLE = mimic's
CA and the SDK's documented `verify_challenge_resource=False` (the challenge names
https://vault.azure.net, not the vault's host).
"""

import json
import sys
from importlib.metadata import version

import pytest

from conftest import client_env
from test_identity_vm import mimic_env
from test_keyvault_host import create_vault, host  # noqa: F401 (the `host` fixture)

KEYS = f"azure-keyvault-keys {version('azure-keyvault-keys')}"
CRYPTO_OFFICER = "14b46e9e-c2b7-41b4-b07b-48a6ebf60603"
VAULT_API = "2026-02-01"

PRELUDE = r'''
import base64, hashlib, json, os
from azure.core.exceptions import HttpResponseError
from azure.identity import ClientSecretCredential
from azure.keyvault.keys import KeyClient
from azure.keyvault.keys.crypto import (CryptographyClient, EncryptionAlgorithm, KeyWrapAlgorithm,
                                        SignatureAlgorithm)
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

A = json.loads(os.environ["SNIPPET_ARGS"])
credential = ClientSecretCredential(os.environ["MIMIC_TENANT"], os.environ["MIMIC_CLIENT_ID"],
                                    os.environ["MIMIC_CLIENT_SECRET"], authority=os.environ["MIMIC_AAD"],
                                    disable_instance_discovery=True)
keys = KeyClient(A["vault"], credential, verify_challenge_resource=False)
MESSAGE = b"mimic signs what the client hashed"
DIGEST = hashlib.sha256(MESSAGE).digest()

def integer(data):
    return int.from_bytes(data, "big")

def rsa_public(jwk):
    return rsa.RSAPublicNumbers(integer(jwk.e), integer(jwk.n)).public_key()

def verifies(check):
    try:
        check()
        return True
    except InvalidSignature:
        return False

def crypto(key):
    return CryptographyClient(key, credential, verify_challenge_resource=False)
'''

# Key Vault Crypto Officer on an RBAC vault: create, read, and the operations (the SDK signs,
# decrypts and unwraps in the vault; it verifies and wraps locally with the public key it fetched).
OFFICER = PRELUDE + r'''
result = {}
rsa_key = keys.create_rsa_key(A["rsa"], size=2048, tags={"flow": "sdk"})
ec_key = keys.create_ec_key(A["ec"], curve="P-256")
fetched = keys.get_key(A["rsa"])
# The SDK's enums are str subclasses: json writes their values.
result["rsa"] = {"kty": rsa_key.key_type, "id": rsa_key.id, "ops": rsa_key.key_operations,
                 "tags": rsa_key.properties.tags, "fetched_id": fetched.id, "n_bytes": len(rsa_key.key.n),
                 "private": [m for m in ("d", "p", "q", "dp", "dq", "qi") if getattr(rsa_key.key, m, None)]}
result["ec"] = {"kty": ec_key.key_type, "crv": ec_key.key.crv,
                "private": [m for m in ("d",) if getattr(ec_key.key, m, None)]}

rsa_crypto = crypto(rsa_key)
signed = rsa_crypto.sign(SignatureAlgorithm.rs256, DIGEST)
public = rsa_public(rsa_key.key)
result["rs256"] = {
    "kid": signed.key_id,
    "independent": verifies(lambda: public.verify(signed.signature, MESSAGE, padding.PKCS1v15(), hashes.SHA256())),
    "sdk": rsa_crypto.verify(SignatureAlgorithm.rs256, DIGEST, signed.signature).is_valid,
}
pss = rsa_crypto.sign(SignatureAlgorithm.ps256, DIGEST)
result["ps256_independent"] = verifies(lambda: public.verify(
    pss.signature, MESSAGE, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256()))

ec_signed = crypto(ec_key).sign(SignatureAlgorithm.es256, DIGEST)
size = len(ec_signed.signature) // 2
der = utils.encode_dss_signature(integer(ec_signed.signature[:size]), integer(ec_signed.signature[size:]))
ec_public = ec.EllipticCurvePublicNumbers(integer(ec_key.key.x), integer(ec_key.key.y), ec.SECP256R1()).public_key()
result["es256"] = {"length": len(ec_signed.signature),
                   "independent": verifies(lambda: ec_public.verify(der, MESSAGE, ec.ECDSA(hashes.SHA256())))}

data_key = os.urandom(32)
wrapped = rsa_crypto.wrap_key(KeyWrapAlgorithm.rsa_oaep_256, data_key)
result["unwrapped"] = rsa_crypto.unwrap_key(KeyWrapAlgorithm.rsa_oaep_256, wrapped.encrypted_key).key == data_key
plaintext = b"made locally with the public key"
ciphertext = public.encrypt(plaintext, padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None))
result["decrypted"] = rsa_crypto.decrypt(EncryptionAlgorithm.rsa_oaep, ciphertext).plaintext == plaintext
print(json.dumps(result))
'''

# An access policy without `get`: CryptographyClient, given the key's id without a version, cannot
# fetch the key (403) and does every operation in the vault, on /keys/{name}//{operation}.
REMOTE_ONLY = PRELUDE + r'''
result = {}
created = keys.create_rsa_key(A["rsa"], size=2048)
try:
    keys.get_key(A["rsa"])
    result["get"] = 200
except HttpResponseError as error:
    result["get"] = [error.status_code, error.error.code if error.error else None]
versionless = created.id.rsplit("/", 1)[0]
client = crypto(versionless)
signed = client.sign(SignatureAlgorithm.rs256, DIGEST)
tampered = bytes([signed.signature[0] ^ 1]) + signed.signature[1:]
result["versionless"] = versionless
result["sign_kid"] = signed.key_id
result["verify"] = client.verify(SignatureAlgorithm.rs256, DIGEST, signed.signature).is_valid
result["verify_tampered"] = client.verify(SignatureAlgorithm.rs256, DIGEST, tampered).is_valid
result["independent"] = verifies(lambda: rsa_public(created.key).verify(
    signed.signature, MESSAGE, padding.PKCS1v15(), hashes.SHA256()))
data_key = os.urandom(32)
wrapped = client.wrap_key(KeyWrapAlgorithm.rsa_oaep, data_key)
result["wrap_kid"] = wrapped.key_id
result["unwrapped"] = client.unwrap_key(KeyWrapAlgorithm.rsa_oaep, wrapped.encrypted_key).key == data_key
print(json.dumps(result))
'''


def run_with_vault_host(mimic, host, code, args, vault_uri):
    """Runs `code` with this venv's Python on "the host" as docs/key-vault.md sets it up (the vaults'
    lines from `mimic hosts --write` in /etc/hosts, test_keyvault_host.Host); returns the JSON
    object it printed last."""
    env = client_env(**mimic_env(mimic), SNIPPET_ARGS=json.dumps({"vault": vault_uri, **args}))
    env["REQUESTS_CA_BUNDLE"] = env["MIMIC_CA"]
    done = host.run(sys.executable, "-c", code, env=env, timeout=180)
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0 and lines, f"exit {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    return json.loads(lines[-1])


@pytest.mark.compat(client=KEYS, flow="KeyClient create_rsa_key/create_ec_key/get_key: public JWK only (RBAC, Crypto Officer)")
@pytest.mark.compat(client=KEYS, flow="CryptographyClient sign RS256/PS256/ES256 verified with `cryptography` from the public JWK")
@pytest.mark.compat(client=KEYS, flow="CryptographyClient wrap_key/unwrap_key RSA-OAEP-256; decrypt of RSA-OAEP made with `cryptography`")
def test_key_client_and_cryptography_client_round_trips_verified_independently(mimic, host):
    vault = create_vault(mimic, rbac=True)
    name, vault_uri = vault["name"], vault["properties"]["vaultUri"]
    assert vault_uri.startswith(f"https://{name}.vault.mimic.test:"), vault_uri
    mimic.grant(mimic.operator["object_id"], scope=f"{mimic.group_id()}/providers/Microsoft.KeyVault/vaults/{name}",
                role=CRYPTO_OFFICER)
    result = run_with_vault_host(mimic, host, OFFICER, {"rsa": "Rsa-Key", "ec": "ec-key"}, vault_uri)

    assert result["rsa"]["kty"] == "RSA", result
    assert result["rsa"]["id"].startswith(f"{vault_uri}keys/Rsa-Key/"), result
    assert result["rsa"]["fetched_id"] == result["rsa"]["id"], result
    assert result["rsa"]["ops"] == ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"], result
    assert (result["rsa"]["tags"], result["rsa"]["n_bytes"], result["rsa"]["private"]) == ({"flow": "sdk"}, 256, [])
    assert result["ec"] == {"kty": "EC", "crv": "P-256", "private": []}, result
    assert result["rs256"] == {"kid": result["rsa"]["id"], "independent": True, "sdk": True}, result
    assert result["ps256_independent"] is True, result
    assert result["es256"] == {"length": 64, "independent": True}, result
    assert (result["unwrapped"], result["decrypted"]) == (True, True), result


@pytest.mark.compat(client=KEYS, flow="CryptographyClient remote-only (access policy without get): sign/verify/wrap_key/unwrap_key")
def test_cryptography_client_without_keys_get_does_every_operation_in_the_vault(mimic, host):
    permissions = ["create", "sign", "verify", "wrapKey", "unwrapKey"]
    policy = {"tenantId": mimic.tenant, "objectId": mimic.operator["object_id"], "permissions": {"keys": permissions}}
    vault_uri = create_vault(mimic, rbac=False, policies=[policy])["properties"]["vaultUri"]
    result = run_with_vault_host(mimic, host, REMOTE_ONLY, {"rsa": "remote"}, vault_uri)

    assert result["get"] == [403, "Forbidden"], result
    # The SDK names results by the id it was given (here without a version).
    assert result["sign_kid"] == result["versionless"] == f"{vault_uri}keys/remote", result
    assert (result["verify"], result["verify_tampered"], result["independent"]) == (True, False, True), result
    assert result["wrap_kid"] == result["sign_kid"], result
    assert result["unwrapped"] is True, result
