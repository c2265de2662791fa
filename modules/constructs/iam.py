"""IAM for the cluster machines: roles, inline policies and instance profiles, from tables.

`least_privilege` (the default) grants what the installer's current templates
grant; `documented` grants exactly the table of the OpenShift documentation
(SPEC 2.5). Policy documents are rendered with sorted keys and actions so the
same table always yields the same text, and a plan never shows a spurious diff.
"""
from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.data_aws_iam_instance_profile import DataAwsIamInstanceProfile
from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy

from ..configuration.canonical import canonical_json
from ..configuration.limits import IamProfile
from ..configuration.regions import Partition
from ..configuration.releases import RELEASES, Release
from .cdk import Construct, Postcondition, TerraformResourceLifecycle
from .hcl import Expr, address, attribute, interpolate, is_null, is_set, local_value, new, optional_count


@dataclass(frozen=True)
class Statement:
    actions: tuple[str, ...]
    resources: tuple[str, ...] = ("*",)
    effect: str = "Allow"


MASTER_LEAST_PRIVILEGE = (Statement((
    "ec2:AttachVolume", "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateSecurityGroup", "ec2:CreateTags",
    "ec2:CreateVolume", "ec2:DeleteSecurityGroup", "ec2:DeleteVolume", "ec2:Describe*", "ec2:DetachVolume",
    "ec2:ModifyInstanceAttribute", "ec2:ModifyVolume", "ec2:RevokeSecurityGroupIngress",
    "elasticloadbalancing:AddTags", "elasticloadbalancing:AttachLoadBalancerToSubnets",
    "elasticloadbalancing:ApplySecurityGroupsToLoadBalancer", "elasticloadbalancing:CreateListener",
    "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateLoadBalancerPolicy",
    "elasticloadbalancing:CreateLoadBalancerListeners", "elasticloadbalancing:CreateTargetGroup",
    "elasticloadbalancing:ConfigureHealthCheck", "elasticloadbalancing:DeleteListener",
    "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:DeleteLoadBalancerListeners",
    "elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:DeregisterInstancesFromLoadBalancer",
    "elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:Describe*",
    "elasticloadbalancing:DetachLoadBalancerFromSubnets", "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:ModifyTargetGroup",
    "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:RegisterInstancesWithLoadBalancer",
    "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer",
    "elasticloadbalancing:SetLoadBalancerPoliciesOfListener", "kms:DescribeKey",
)),)

POLICIES: dict[tuple[IamProfile, str], tuple[Statement, ...]] = {
    (IamProfile.LEAST_PRIVILEGE, "master"): MASTER_LEAST_PRIVILEGE,
    (IamProfile.LEAST_PRIVILEGE, "worker"): (Statement(("ec2:DescribeInstances", "ec2:DescribeRegions")),),
    (IamProfile.DOCUMENTED, "master"): (
        Statement(("ec2:*",)), Statement(("elasticloadbalancing:*",)),
        Statement(("iam:PassRole",)), Statement(("s3:GetObject",))),
    (IamProfile.DOCUMENTED, "worker"): (Statement(("ec2:Describe*",)),),
}

# The bootstrap machine needs the same grants under both profiles: the documented
# table plus s3:GetObject to read its Ignition file (SPEC 3.2).
BOOTSTRAP_POLICY = (Statement(("ec2:Describe*",)), Statement(("ec2:AttachVolume",)),
                    Statement(("ec2:DetachVolume",)), Statement(("s3:GetObject",)))


def policy_document(statements: tuple[Statement, ...]) -> str:
    return canonical_json({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": s.effect,
             "Action": sorted(s.actions) if len(s.actions) > 1 else s.actions[0],
             "Resource": sorted(s.resources) if len(s.resources) > 1 else s.resources[0]}
            for s in statements],
    })


def assume_role_document(partition: Partition, service: str = "ec2") -> str:
    return canonical_json({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                       "Principal": {"Service": partition.service_principal(service)}}],
    })


def role_statements(profile: IamProfile, role: str, release: Release) -> tuple[Statement, ...]:
    """The role's grants under `profile` for `release`: the least-privilege master table gains what the
    release adds (releases.py); the documented table (SPEC 2.5) is the same for every release."""
    statements = POLICIES[(profile, role)]
    if role != "master" or profile is not IamProfile.LEAST_PRIVILEGE or not release.master_actions:
        return statements
    first, *rest = statements
    return (Statement(tuple(sorted(set(first.actions) | set(release.master_actions))), first.resources), *rest)


def profile_policy(scope: Construct, role: str, profile: IamProfile | Expr, version: str | Expr,
                   grants: str | Expr) -> str:
    """The role's policy document under `profile` for the OpenShift release `version`; in a module,
    chosen by the variables from a local of the distinct documents, keyed `<profile>[+<action>...]`
    (`grants`: the release's `master_grants`, an HCL expression there)."""
    if isinstance(profile, IamProfile) and not isinstance(version, Expr):
        return policy_document(role_statements(profile, role, RELEASES[version]))
    documents = {}
    for p in IamProfile:
        for release in RELEASES.values():
            statements = role_statements(p, role, release)
            key = p.value + (release.master_grants if statements != POLICIES[(p, role)] else "")
            documents[key] = policy_document(statements)
    local_value(scope, f"{role}_policies", documents)
    if len(documents) == len(IamProfile):  # no release changes this role's grants
        return f"${{local.{role}_policies[{profile}]}}"
    return (f'${{local.{role}_policies[{profile} == "{IamProfile.LEAST_PRIVILEGE.value}" ? '
            f'"{IamProfile.LEAST_PRIVILEGE.value}${{{grants}}}" : {profile}]}}')


class MachineRole(Construct):
    """`aws_iam_role.<name>`, its inline policy (a JSON document) and its instance profile; or, when
    `existing_profile` names one, that profile looked up (`data.aws_iam_instance_profile.<name>`, which
    also fails the plan if it does not exist) and nothing created.

    `path` and `boundary` (a permissions boundary's ARN) apply to what is created; None leaves them
    to AWS (path "/", no boundary). Either may be a module's variable."""

    def __init__(self, scope: Construct, name: str, infra_id: str, partition: Partition, policy: str, *,
                 path: str | Expr | None = None, boundary: str | Expr | None = None,
                 existing_profile: str | Expr | None = None):
        super().__init__(scope, f"role_{name}")
        role = policy_resource = profile = existing = None
        create = optional_count(is_null(existing_profile))
        if create is not None:
            role = new(IamRole, self, name, name=f"{infra_id}-{name}-role", path=_value(path),
                       permissions_boundary=_value(boundary), assume_role_policy=assume_role_document(partition),
                       tags={"Name": f"{infra_id}-{name}-role"}, **create)
            policy_resource = new(IamRolePolicy, self, f"policy.{name}", name=f"{infra_id}-{name}-policy",
                                  role=attribute(role, "id"), policy=policy, **create)
            profile = new(IamInstanceProfile, self, f"profile.{name}", name=f"{infra_id}-{name}-profile",
                          path=_value(path), role=attribute(role, "name"),
                          tags={"Name": f"{infra_id}-{name}-profile"}, **create)
        lookup = optional_count(is_set(existing_profile))
        if lookup is not None:
            existing = new(DataAwsIamInstanceProfile, self, f"existing.{name}", name=interpolate(existing_profile),
                           lifecycle=TerraformResourceLifecycle(postcondition=[Postcondition(
                               condition='${self.role_arn != ""}',
                               error_message=f"Instance profile ${{self.name}}, given for the {name} machines, has "
                                             "no role: add one, or let the project create the profile.")]),
                           **lookup)
        self.role, self.policy, self.profile = role, policy_resource, profile
        self.profile_name = _either(profile, "name", existing, "name")
        self.role_name = _either(role, "name", existing, "role_name")
        self.role_arn = _either(role, "arn", existing, "role_arn")


def _value(value: str | Expr | None) -> str | None:
    return None if value is None else interpolate(value)


def _either(created, created_attribute: str, existing, existing_attribute: str) -> str:
    """The attribute of whichever of the two exists (both are optional in a module)."""
    if existing is None:
        return getattr(created, created_attribute)
    if created is None:
        return getattr(existing, existing_attribute)
    return (f"${{coalesce(one({address(existing)}[*].{existing_attribute}), "
            f"one({address(created)}[*].{created_attribute}))}}")
