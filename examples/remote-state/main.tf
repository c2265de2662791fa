# Reading an applied tier's outputs from another Terraform repository: the
# network tier of a cluster that `python main.py apply` (or `cdktf deploy`)
# created keeps its state at <key_prefix>/<cluster_name>/network/terraform.tfstate
# in the state bucket.

terraform {
  required_version = ">= 1.5"
}

variable "state_bucket" {
  description = "The state tier's bucket (its `state_bucket` output; default <infra_id>-tfstate)."
  type        = string
}

variable "state_region" {
  description = "Region of the state bucket."
  type        = string
}

variable "cluster_name" {
  description = "Cluster name, the second part of every state key."
  type        = string
}

variable "key_prefix" {
  description = "The configuration's state.key_prefix."
  type        = string
  default     = "ocp-upi-tf"
}

variable "endpoints" {
  description = "S3/STS endpoint URLs for a private API endpoint or an emulator; empty for AWS."
  type        = map(string)
  default     = {}
}

data "terraform_remote_state" "network" {
  backend = "s3"
  config = {
    bucket         = var.state_bucket
    key            = "${var.key_prefix}/${var.cluster_name}/network/terraform.tfstate"
    region         = var.state_region
    endpoints      = var.endpoints
    use_path_style = length(var.endpoints) > 0
  }
}

output "vpc_id" {
  description = "ID of the cluster VPC."
  value       = data.terraform_remote_state.network.outputs.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnet IDs, one per AZ."
  value       = data.terraform_remote_state.network.outputs.private_subnet_ids
}

output "public_subnet_ids" {
  description = "Public subnet IDs, one per AZ."
  value       = data.terraform_remote_state.network.outputs.public_subnet_ids
}
