variable "region" {
  description = "AWS region of the VPC."
  type        = string
}

variable "cluster_name" {
  description = "Cluster name (install-config.yaml metadata.name)."
  type        = string
}

variable "base_domain" {
  description = "Base DNS domain; its public hosted zone holds the api record."
  type        = string
}

variable "infra_id" {
  description = "Infrastructure name from the installer's metadata.json."
  type        = string
}

variable "availability_zones" {
  description = "The AZs of the subnets below, in their order."
  type        = list(string)
}

variable "vpc_id" {
  description = "The existing VPC."
  type        = string
}

variable "vpc_cidr" {
  description = "The VPC's CIDR block the cluster uses (install-config.yaml networking.machineNetwork)."
  type        = string
}

variable "public_subnet_ids" {
  description = "One public subnet per AZ, in AZ order."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "One private subnet per AZ, in AZ order."
  type        = list(string)
}
