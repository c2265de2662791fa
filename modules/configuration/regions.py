"""AWS regions and the partition each belongs to.

The partition decides ARNs (`arn:<partition>:`), service principals
(`ec2.<dns_suffix>`) and what the cluster may publish, so it is derived from
the region and never typed by hand.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Partition:
    name: str
    dns_suffix: str
    # Route 53 has no public zones for UPI clusters in GovCloud, and alias
    # records to NLBs are not allowed there: clusters must be Internal.
    allows_external_publish: bool
    # Interface endpoint service names carry a prefix in the China partition.
    interface_endpoint_prefix: str

    def arn(self, service: str, resource: str, region: str = "", account: str = "") -> str:
        return f"arn:{self.name}:{service}:{region}:{account}:{resource}"

    def service_principal(self, service: str) -> str:
        return f"{service}.{self.dns_suffix}"


AWS = Partition("aws", "amazonaws.com", True, "com.amazonaws")
AWS_US_GOV = Partition("aws-us-gov", "amazonaws.com", False, "com.amazonaws")
AWS_CN = Partition("aws-cn", "amazonaws.com.cn", True, "cn.com.amazonaws")

_REGIONS_BY_PARTITION = {
    AWS: (
        "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2",
        "ap-northeast-3", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2",
        "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7",
        "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1",
        "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3",
        "il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1",
        "us-east-1", "us-east-2", "us-west-1", "us-west-2",
    ),
    AWS_US_GOV: ("us-gov-east-1", "us-gov-west-1"),
    AWS_CN: ("cn-north-1", "cn-northwest-1"),
}

REGIONS: dict[str, Partition] = {
    region: partition
    for partition, regions in _REGIONS_BY_PARTITION.items()
    for region in regions
}


def partition_of(region: str) -> Partition:
    """The partition of a known region; KeyError for an unknown one."""
    return REGIONS[region]
