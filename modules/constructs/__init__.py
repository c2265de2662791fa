"""Constructs: the building blocks tiers are made of, each free of any one tier.

`cdk` is the one place that imports the cdktf core library; `hcl` names
resources and turns choices into Terraform; the rest are value objects and
constructs (rules, IAM, buckets, machine pools). Nothing here imports a tier or
an operation.
"""
