"""IAM for the cluster machines: roles, inline policies and instance profiles, from tables.

`least_privilege` (the default) grants what the installer's current templates
grant; `documented` grants exactly the table of the OpenShift documentation
(SPEC 2.5). Policy documents are rendered with sorted keys and actions so the
same table always yields the same text, and a plan never shows a spurious diff.
"""
from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy

from ..configuration.canonical import canonical_json
from ..configuration.limits import IamProfile
from ..configuration.regions import Partition
from .cdk import Construct
from .hcl import Expr, local_value, new


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


def profile_policy(scope: Construct, role: str, profile: IamProfile | Expr) -> str:
    """The role's policy document under `profile`; in a module, chosen by the variable from a local."""
    if isinstance(profile, IamProfile):
        return policy_document(POLICIES[(profile, role)])
    local_value(scope, f"{role}_policies", {p.value: policy_document(POLICIES[(p, role)]) for p in IamProfile})
    return f"${{local.{role}_policies[{profile}]}}"


class MachineRole(Construct):
    """`aws_iam_role.<name>`, its inline policy (a JSON document) and its instance profile."""

    def __init__(self, scope: Construct, name: str, infra_id: str, partition: Partition, policy: str):
        super().__init__(scope, f"role_{name}")
        self.role = new(IamRole, self, name, name=f"{infra_id}-{name}-role",
                        assume_role_policy=assume_role_document(partition),
                        tags={"Name": f"{infra_id}-{name}-role"})
        self.policy = new(IamRolePolicy, self, f"policy.{name}", name=f"{infra_id}-{name}-policy",
                          role=self.role.id, policy=policy)
        self.profile = new(IamInstanceProfile, self, f"profile.{name}", name=f"{infra_id}-{name}-profile",
                           role=self.role.name, tags={"Name": f"{infra_id}-{name}-profile"})
