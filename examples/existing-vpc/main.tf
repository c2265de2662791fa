# A cluster in a VPC the network team already runs: the existing_network module looks the
# VPC and subnets up, checks them at plan time and tags the subnets; its outputs are those
# of the network module, so the tiers that build on the network are called as usual.

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
}

module "network" {
  source             = "../../terraform-modules/existing_network"
  infra_id           = var.infra_id
  availability_zones = var.availability_zones
  vpc_id             = var.vpc_id
  vpc_cidr           = var.vpc_cidr
  public_subnet_ids  = var.public_subnet_ids
  private_subnet_ids = var.private_subnet_ids
}

module "cluster_infra" {
  source             = "../../terraform-modules/cluster_infra"
  cluster_name       = var.cluster_name
  base_domain        = var.base_domain
  infra_id           = var.infra_id
  vpc_id             = module.network.vpc_id
  public_subnet_ids  = module.network.public_subnet_ids
  private_subnet_ids = module.network.private_subnet_ids
}

module "security" {
  source   = "../../terraform-modules/security"
  infra_id = var.infra_id
  vpc_id   = module.network.vpc_id
  vpc_cidr = module.network.vpc_cidr
}
