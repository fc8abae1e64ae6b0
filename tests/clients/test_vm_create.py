"""`az vm create` as far as mimic claims it (issue #11 item 4): az's image lookups, size and network
reads are served; its template deployment is not (mimic has no template engine), so az stops at the
deployment PUT with ARM's own `InvalidResourceType` for `Microsoft.Resources/deployments` — never an
unrelated error — and no VM exists afterwards.

az 2.91.0 wraps every deployment PUT error in "The command failed with an unexpected error ... The
content for this response was already consumed" (its own bug, the same against Azure:
Azure/azure-cli#32870, #32548); the ARM error it stopped on is printed in the traceback above that.
"""

import re

from test_az_support import compat, describe, unique

DEPLOYMENT_ERROR = ("(InvalidResourceType) The resource type 'deployments' could not be found in the namespace "
                    "'Microsoft.Resources'")


@compat("az vm create: fails fast at the deployment (InvalidResourceType)")
def test_vm_create_stops_at_the_deployment_with_arms_invalid_resource_type(mimic):
    name = unique("vm")

    done = mimic.az("vm", "create", "-g", mimic.group, "-n", name, "--image", "Ubuntu2204",
                    "--size", "Standard_B1s", "--admin-username", "azureuser",
                    "--authentication-type", "password", "--admin-password", "Mimic-Vm-Create-1!", timeout=180)

    assert done.returncode == 1, describe(done)
    assert DEPLOYMENT_ERROR in done.stderr, describe(done)
    codes = set(re.findall(r"^Code: (\w+)$", done.stderr, flags=re.MULTILINE))
    assert codes == {"InvalidResourceType"}, describe(done)
    assert "Querying the image" not in done.stderr, "the image lookups are served: " + describe(done)
    reply = mimic.arm("GET", f"{mimic.vm_id(name)}?api-version=2024-11-01")
    assert reply.status_code == 404, reply.text
