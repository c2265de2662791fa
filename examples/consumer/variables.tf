variable "region" {
  description = "AWS region of the cluster."
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
  description = "One to three AZ names."
  type        = list(string)
}

variable "openshift_version" {
  description = "The OpenShift release the infrastructure is for (the repository README, \"OpenShift releases\")."
  type        = string
  default     = "4.22"
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC."
  type        = string
  default     = "10.0.0.0/16"
}

variable "publish" {
  description = "External or Internal."
  type        = string
  default     = "External"
}

variable "public_zone_id" {
  description = "Public hosted zone ID; null looks it up by base_domain."
  type        = string
  default     = null
}

variable "rhcos_ami" {
  description = "RHCOS AMI ID for the region."
  type        = string
}

variable "ignition_ca" {
  description = "The cluster CA, as master.ign carries it."
  type        = string
}

variable "bootstrap_ignition_url" {
  description = "s3:// or https:// URL of bootstrap.ign."
  type        = string
}

variable "worker_replicas" {
  description = "Number of workers."
  type        = number
  default     = 3
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
