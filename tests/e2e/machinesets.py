"""`main.py machinesets` on a cluster a flow applied, and what the EC2 API makes of each MachineSet.

For every MachineSet written: each filter of its subnet and security groups is asked of the EC2
API exactly as the machine API asks it (DescribeSubnets / DescribeSecurityGroups with the
MachineSet's filters, or by ID), and every answer is recorded; the instance profile is looked
up; and a machine is launched with exactly the MachineSet's parameters (RunInstances), then
terminated. What the answers should be comes from the tiers' outputs (terraform output), not
from the MachineSets: test_machinesets_on_emulator.py compares the two.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from modules.configuration import ClusterConfig, Tier
from modules.configuration.topology import stack_name
from modules.operations import deploy, machinesets, terraform


@dataclass
class MachineSetCheck:
    name: str
    zone: str
    document: dict[str, Any]
    subnets: list[str]  # what the subnet reference resolves to
    groups: list[list[str]]  # what each security group reference resolves to, in order
    profile: str | None  # the instance profile's name, when it exists
    launched: dict[str, Any] = field(default_factory=dict)  # the machine RunInstances made, as described


@dataclass
class MachineSetsRecord:
    files: list[str]  # the MachineSets, in openshift/
    checks: list[MachineSetCheck]
    expected: dict[str, Any]  # from the tiers' outputs: vpc_id, private_subnet_ids, groups, edge_zones
    manifests: list[str] = field(default_factory=list)  # written into manifests/ (the MTU, with edge zones)

    def of_role(self, role: str) -> list[MachineSetCheck]:
        return [check for check in self.checks if check.name.endswith(f"-{role}-{check.zone}")]


def outputs(outdir: Path, config: ClusterConfig, tier: Tier, env: dict[str, str]) -> dict[str, Any]:
    shown = terraform.run(["output", "-json"], deploy.stack_dir(outdir, stack_name(config.cluster_name, tier)), env=env)
    return {key: value["value"] for key, value in json.loads(shown.stdout).items()}


def _resolve(ec2: Any, reference: dict[str, Any], kind: str) -> list[str]:
    """The IDs a MAPI AWSResourceReference resolves to: by ID, or by its filters (as the machine API)."""
    describe, key, id_key = ((ec2.describe_subnets, "Subnets", "SubnetId") if kind == "subnet"
                             else (ec2.describe_security_groups, "SecurityGroups", "GroupId"))
    if "id" in reference:
        return [item[id_key] for item in describe(**{f"{id_key}s": [reference["id"]]})[key]]
    filters = [{"Name": f["name"], "Values": f["values"]} for f in reference["filters"]]
    return sorted(item[id_key] for item in describe(Filters=filters)[key])


def check_machinesets(emulator: Any, config: ClusterConfig, outdir: Path, folder: Path) -> MachineSetsRecord:
    env, ec2, iam = emulator.env, emulator.client("ec2"), emulator.client("iam")
    written = machinesets.machinesets(config, outdir, folder, env)  # what `main.py machinesets` runs
    network, security = (outputs(outdir, config, tier, env) for tier in (Tier.NETWORK, Tier.SECURITY))
    checks, manifests = [], []
    for path in written:
        if path.parent.name == machinesets.MANIFESTS_DIR:
            manifests.append(path.name)
            continue
        document = yaml.safe_load(path.read_text())
        spec = document["spec"]["template"]["spec"]["providerSpec"]["value"]
        subnets = _resolve(ec2, spec["subnet"], "subnet")
        groups = [_resolve(ec2, group, "group") for group in spec["securityGroups"]]
        profile_name = spec["iamInstanceProfile"]["id"]
        profile = iam.get_instance_profile(InstanceProfileName=profile_name)["InstanceProfile"]["InstanceProfileName"]
        check = MachineSetCheck(document["metadata"]["name"], spec["placement"]["availabilityZone"], document,
                                subnets, groups, profile)
        if len(subnets) == 1 and all(len(found) == 1 for found in groups):
            check.launched = _launch(ec2, spec, subnets[0], [found[0] for found in groups])
        checks.append(check)
    expected = {"vpc_id": network["vpc_id"], "private_subnet_ids": network["private_subnet_ids"],
                "groups": [security["worker_security_group_id"],
                           *([security["lb_security_group_id"]] if "lb_security_group_id" in security else []),
                           *config.compute.additional_security_group_ids],
                "profile": security["worker_instance_profile_name"], "edge_zones": network.get("edge_zones", {})}
    return MachineSetsRecord([path.name for path in written if path.parent.name != machinesets.MANIFESTS_DIR],
                             checks, expected, manifests)


def _launch(ec2: Any, spec: dict[str, Any], subnet: str, groups: list[str]) -> dict[str, Any]:
    """RunInstances with exactly the MachineSet's parameters, as the machine API sends them; the
    machine as EC2 then describes it; terminated again (the flow's teardown counts machines)."""
    image = ec2.describe_images(ImageIds=[spec["ami"]["id"]])["Images"][0]
    ebs = spec["blockDevices"][0]["ebs"]
    volume = {"VolumeSize": ebs["volumeSize"], "VolumeType": ebs["volumeType"], "Encrypted": ebs["encrypted"],
              **({"KmsKeyId": ebs["kmsKey"]["arn"]} if "kmsKey" in ebs else {})}
    tags = [{"Key": tag["name"], "Value": tag["value"]} for tag in spec["tags"]]
    answer = ec2.run_instances(
        ImageId=spec["ami"]["id"], InstanceType=spec["instanceType"], MinCount=1, MaxCount=1,
        SubnetId=subnet, SecurityGroupIds=groups, IamInstanceProfile={"Name": spec["iamInstanceProfile"]["id"]},
        Placement={"AvailabilityZone": spec["placement"]["availabilityZone"]},
        BlockDeviceMappings=[{"DeviceName": image["RootDeviceName"], "Ebs": volume}],
        MetadataOptions={"HttpTokens": "required" if spec["metadataServiceOptions"]["authentication"] == "Required"
                         else "optional", "HttpEndpoint": "enabled"},
        TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])
    instance_id = answer["Instances"][0]["InstanceId"]
    described = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    ec2.terminate_instances(InstanceIds=[instance_id])
    return {"id": instance_id, "subnet": described["SubnetId"], "vpc": described["VpcId"],
            "groups": sorted(g["GroupId"] for g in described["SecurityGroups"]),
            "zone": described["Placement"]["AvailabilityZone"],
            "profile": described.get("IamInstanceProfile", {}).get("Arn", "").rsplit("/", 1)[-1],
            "tokens": described["MetadataOptions"]["HttpTokens"],
            "tags": {tag["Key"]: tag["Value"] for tag in described.get("Tags", [])}}
