"""azure-identity's CertificateCredential (an application principal with a certificate, registered
through AAD's internal API) with azure-mgmt-resource, as a separate process with the `mimic env`
variables and REQUESTS_CA_BUNDLE = mimic's CA."""

from test_identity_vm import IDENTITY, PRELUDE, RESOURCE, compat, run_python
from test_msal_confidential_client import assert_app_claims, certificate_principal

CERTIFICATE_CREDENTIAL = PRELUDE + r'''
from azure.identity import CertificateCredential
from azure.mgmt.resource import ResourceManagementClient
credential = CertificateCredential(os.environ["MIMIC_TENANT"], A["client_id"], certificate_data=A["pem"].encode(),
                                   authority=os.environ["MIMIC_AAD"], disable_instance_discovery=True)
resources = ResourceManagementClient(credential, SUBSCRIPTION, base_url=ARM)
token = credential.get_token("https://management.azure.com/.default").token
print(json.dumps({"claims": claims(token), "read": outcome(lambda: resources.resource_groups.get(GROUP).id)}))
'''


@compat(IDENTITY, flow="CertificateCredential (authority, disable_instance_discovery) → ARM 403 → grant → 200")
@compat(RESOURCE, flow="resource_groups.get with CertificateCredential: AuthorizationFailed → grant → 200")
def test_identity_certificate_credential_reads_arm_only_after_grant(mimic):
    principal, key_pem, _, certificate_pem = certificate_principal(mimic)
    args = {"client_id": principal["appId"], "pem": key_pem + certificate_pem}

    before = run_python(mimic, CERTIFICATE_CREDENTIAL, args=args)
    mimic.grant(principal["id"])
    after = run_python(mimic, CERTIFICATE_CREDENTIAL, args=args)

    assert_app_claims(mimic, before["claims"], principal["appId"], principal["id"], appidacr="2")
    assert (before["read"].get("status"), before["read"].get("code")) == (403, "AuthorizationFailed"), before
    assert after["read"].get("ok") == mimic.group_id(), after
