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
