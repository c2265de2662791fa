"""What the external flow's credentials tier holds on the emulator, listed through the AWS APIs."""
from __future__ import annotations

from typing import Any

from modules.configuration import ClusterConfig
from modules.configuration.sts import DISCOVERY_KEY, JWKS_KEY, OWNER_TAG_PREFIX


def observe_credentials(emulator: Any, config: ClusterConfig) -> dict[str, Any]:
    """The OIDC providers, the issuer's objects as fetched, and the roles the tier tagged as its own."""
    iam, s3 = emulator.client("iam"), emulator.client("s3")
    providers = {}
    for entry in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
        provider = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=entry["Arn"])
        providers[entry["Arn"]] = {"url": provider["Url"], "client_ids": sorted(provider["ClientIDList"]),
                                   "tags": {t["Key"]: t["Value"] for t in provider.get("Tags", [])}}
    objects = {key: s3.get_object(Bucket=config.oidc_bucket, Key=key)["Body"].read().decode()
               for key in (DISCOVERY_KEY, JWKS_KEY)}
    owner = f"{OWNER_TAG_PREFIX}/{config.infra_id}"
    roles = {}
    for role in iam.list_roles()["Roles"]:
        tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=role["RoleName"])["Tags"]}
        if tags.get(owner) == "owned":
            roles[role["RoleName"]] = {"trust": role["AssumeRolePolicyDocument"], "policies": {
                name: iam.get_role_policy(RoleName=role["RoleName"], PolicyName=name)["PolicyDocument"]
                for name in iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]}}
    return {"providers": providers, "objects": objects, "roles": roles}
