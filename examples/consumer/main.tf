# A root module written by hand, as a platform team would: every tier of an
# OpenShift UPI cluster from the exported modules, wired output to input in one
# state. Point `source` at a tag of the repository instead of the relative path:
#   source = "git::https://example.com/ocp-upi-tf.git//terraform-modules/network?ref=v1.0.0"

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0, < 7.0"
    }
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = var.tags
  }
}

locals {
  cluster_domain = "${var.cluster_name}.${var.base_domain}"
}

module "state" {
  source       = "../../terraform-modules/state"
  state_bucket = "${var.infra_id}-tfstate"
}

module "network" {
  source             = "../../terraform-modules/network"
  infra_id           = var.infra_id
  availability_zones = var.availability_zones
  vpc_cidr           = var.vpc_cidr
  openshift_version  = var.openshift_version
}

module "cluster_infra" {
  source             = "../../terraform-modules/cluster_infra"
  cluster_name       = var.cluster_name
  base_domain        = var.base_domain
  infra_id           = var.infra_id
  publish            = var.publish
  public_zone_id     = var.public_zone_id
  vpc_id             = module.network.vpc_id
  public_subnet_ids  = module.network.public_subnet_ids
  private_subnet_ids = module.network.private_subnet_ids
}

module "security" {
  source            = "../../terraform-modules/security"
  infra_id          = var.infra_id
  vpc_id            = module.network.vpc_id
  vpc_cidr          = module.network.vpc_cidr
  openshift_version = var.openshift_version
}

module "bootstrap" {
  source                   = "../../terraform-modules/bootstrap"
  infra_id                 = var.infra_id
  rhcos_ami                = var.rhcos_ami
  bootstrap_ignition_url   = var.bootstrap_ignition_url
  vpc_id                   = module.network.vpc_id
  vpc_cidr                 = module.network.vpc_cidr
  public_subnet_ids        = module.network.public_subnet_ids
  private_subnet_ids       = module.network.private_subnet_ids
  master_security_group_id = module.security.master_security_group_id
  target_group_arns        = module.cluster_infra.target_group_arns
}

module "control_plane" {
  source                       = "../../terraform-modules/control_plane"
  cluster_name                 = var.cluster_name
  base_domain                  = var.base_domain
  infra_id                     = var.infra_id
  rhcos_ami                    = var.rhcos_ami
  ignition_ca                  = var.ignition_ca
  private_subnet_ids           = module.network.private_subnet_ids
  master_security_group_id     = module.security.master_security_group_id
  lb_security_group_id         = module.security.lb_security_group_id
  master_instance_profile_name = module.security.master_instance_profile_name
  target_group_arns            = module.cluster_infra.target_group_arns
  openshift_version            = var.openshift_version
}

module "compute" {
  source                       = "../../terraform-modules/compute"
  cluster_name                 = var.cluster_name
  base_domain                  = var.base_domain
  infra_id                     = var.infra_id
  rhcos_ami                    = var.rhcos_ami
  ignition_ca                  = var.ignition_ca
  worker_replicas              = var.worker_replicas
  private_subnet_ids           = module.network.private_subnet_ids
  worker_security_group_id     = module.security.worker_security_group_id
  lb_security_group_id         = module.security.lb_security_group_id
  worker_instance_profile_name = module.security.worker_instance_profile_name
  openshift_version            = var.openshift_version
}

output "api_server_dns_name" {
  description = "Host name of the API server for the machines' Ignition."
  value       = module.cluster_infra.api_server_dns_name
}

output "master_private_ips" {
  description = "Private IP of each master."
  value       = module.control_plane.master_private_ips
}

output "vpc_id" {
  description = "ID of the cluster VPC."
  value       = module.network.vpc_id
}
