"""ocp-upi-tf: the AWS infrastructure of an OpenShift 4 UPI cluster, as cdktf constructs.

One module per infrastructure tier (state, network, ...), plus the shared
configuration (`config`), the region table (`regions`) and the Terraform
command-line helpers (`terraform_cli`).
"""
